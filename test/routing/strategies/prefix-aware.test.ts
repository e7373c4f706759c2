import { describe, expect, it } from "vitest";
import { lazyPromptBlocks, type PromptParts } from "../../../src/protocol/prompt-blocks.js";
import { promptPrefix } from "../../../src/protocol/prompt-prefix.js";
import type { BackendView } from "../../../src/routing/backend.js";
import { CachedBlocks } from "../../../src/routing/strategies/cached-blocks.js";
import { PrefixAwareStrategy } from "../../../src/routing/strategies/prefix-aware.js";
import { PrefixCacheStrategy } from "../../../src/routing/strategies/prefix-cache.js";
import type { RoutingRequest } from "../../../src/routing/strategies/strategy.js";
import { candidates, runStrategyConformance, seededRandom } from "./conformance.js";

runStrategyConformance("prefix_aware", () => new PrefixAwareStrategy());

/** Several kilobytes shared by every session, as Claude Code's and Codex's system prompts are. */
const SYSTEM = "You are an agent working in a repository. Follow the rules below exactly. ".repeat(60);

function conversation(session: number, turns: number): PromptParts {
  const messages = Array.from({ length: turns }, (_, turn) => ({
    role: turn % 2 === 0 ? "user" : "assistant",
    content: `session ${session}, turn ${turn}: ${"some words of the conversation ".repeat(12)}`,
  }));
  return { leading: SYSTEM, messages };
}

function request(parts: PromptParts, sessionKey?: string): RoutingRequest {
  return {
    model: "m",
    sessionKey,
    promptPrefix: promptPrefix(parts.leading, (parts.messages as unknown[]) ?? []),
    promptBlocks: lazyPromptBlocks(parts, "m"),
  };
}

/** Every backend has seen the shared system prompt (as it has once traffic has run a while). */
function warmEverywhere(strategy: PrefixAwareStrategy, pool: readonly BackendView[] = candidates(4)): void {
  for (const [index, backend] of pool.entries())
    strategy.pick([backend], request(conversation(1_000 + index, 1)));
}

/** Four backends whose in-flight counts the test moves, as the gateway's leases would. */
class Fleet {
  readonly inflight = new Map<string, number>();
  readonly queue = new Map<string, number>();
  constructor(readonly size = 4) {}

  view(): BackendView[] {
    return candidates(this.size).map((backend) => ({
      ...backend,
      inflight: this.inflight.get(backend.id) ?? 0,
      queueDepth: this.queue.get(backend.id) ?? 0,
    }));
  }

  /** Picks and takes the lease. */
  send(strategy: { pick: PrefixAwareStrategy["pick"] }, routing: RoutingRequest): string {
    const id = strategy.pick(this.view(), routing)!.id;
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
    return id;
  }

  finish(id: string): void {
    this.inflight.set(id, (this.inflight.get(id) ?? 1) - 1);
  }

  finishAll(): void {
    this.inflight.clear();
  }

  loads(): number[] {
    return this.view().map((backend) => backend.inflight + backend.queueDepth);
  }
}

describe("prefix_aware", () => {
  it("sends a conversation's next turn where its earlier turns went, past a long shared system prompt", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    warmEverywhere(strategy);
    // Eight sessions start together: the load bound spreads their first turns.
    const home = Array.from({ length: 8 }, (_, session) =>
      fleet.send(strategy, request(conversation(session, 1))),
    );
    expect(new Set(home).size).toBe(4);
    fleet.finishAll();
    for (let turn = 3; turn <= 7; turn += 2) {
      for (let session = 0; session < 8; session++) {
        const id = fleet.send(strategy, request(conversation(session, turn)));
        fleet.finish(id);
        expect(id, `session ${session}, turn ${turn}`).toBe(home[session]);
      }
    }
    // The first-256-characters strategy sees one prompt: every session lands on one backend.
    const old = new PrefixCacheStrategy();
    const oldHomes = new Set(
      Array.from(
        { length: 8 },
        (_, session) => old.pick(candidates(4), request(conversation(session, 3)))!.id,
      ),
    );
    expect(oldHomes.size).toBe(1);
  });

  it("spreads new sessions that share only the system prompt by load", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    warmEverywhere(strategy);
    fleet.inflight.set("b0", 3);
    fleet.inflight.set("b1", 1);
    fleet.inflight.set("b2", 2);
    fleet.queue.set("b3", 4);
    expect(strategy.pick(fleet.view(), request(conversation(7, 1)))!.id).toBe("b1");
    fleet.inflight.set("b1", 5);
    expect(strategy.pick(fleet.view(), request(conversation(8, 1)))!.id).toBe("b2");
  });

  it("keeps every backend within ceil(1.25 × mean) under one hot prefix", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    const random = seededRandom(17);
    const hot = request({ leading: SYSTEM, messages: [{ role: "user", content: "the same question" }] });
    const picked = new Set<string>();
    for (let step = 0; step < 1_000; step++) {
      // Requests finish at random, so the loads wander like a real fleet's.
      if (random() < 0.45) {
        const busy = fleet.view().filter((backend) => backend.inflight > 0);
        if (busy.length > 0) fleet.finish(busy[Math.floor(random() * busy.length)]!.id);
      }
      picked.add(fleet.send(strategy, hot));
      const loads = fleet.loads();
      const total = loads.reduce((sum, load) => sum + load, 0);
      const bound = Math.ceil((1.25 * total) / loads.length - 1e-9);
      expect(Math.max(...loads)).toBeLessThanOrEqual(bound);
    }
    expect(picked.size).toBe(4);
  });

  it("leaves the warm backend while its own engine queue is above the bound, and follows the moved prompt", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    const home = fleet.send(strategy, request(conversation(1, 1)));
    fleet.finishAll();
    fleet.queue.set(home, 10);
    const overflow = strategy.pick(fleet.view(), request(conversation(1, 3)))!.id;
    expect(overflow).not.toBe(home);
    fleet.queue.set(home, 0);
    // The overflow now holds the longer prompt, so the next turn continues there.
    expect(strategy.pick(fleet.view(), request(conversation(1, 5)))!.id).toBe(overflow);
  });

  it("counts requests waiting at the gateway's KV gate in a backend's load, as those in flight", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    const home = fleet.send(strategy, request(conversation(1, 1)));
    fleet.finishAll();
    const gatedAtHome = fleet
      .view()
      .map((backend) => (backend.id === home ? { ...backend, gated: 10 } : backend));
    expect(strategy.pick(gatedAtHome, request(conversation(1, 3)))!.id).not.toBe(home);
  });

  it("yields the warm backend to load as the engines' queues fill the fleet: the headroom shrinks to none", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    const home = fleet.send(strategy, request(conversation(1, 1)));
    fleet.finishAll();
    for (const backend of fleet.view()) fleet.inflight.set(backend.id, backend.id === home ? 10 : 8);
    // Light load: 10 (+1) against a mean of 8.75 is within the 25 % headroom; the prefix keeps it home.
    expect(strategy.pick(fleet.view(), request(conversation(1, 3)))!.id).toBe(home);
    // The same requests, but every engine reports 60 more of its own (scraped `num_requests_waiting`):
    // the fleet is at its capacity, there is no headroom, and the deeper queue loses the turn.
    for (const backend of fleet.view()) fleet.queue.set(backend.id, 60);
    expect(strategy.pick(fleet.view(), request(conversation(1, 3)))!.id).not.toBe(home);
  });

  it("spreads a hot prefix evenly near saturation: no backend above ceil(mean)", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    for (const backend of fleet.view()) fleet.queue.set(backend.id, 60);
    const random = seededRandom(23);
    const hot = request({ leading: SYSTEM, messages: [{ role: "user", content: "the same question" }] });
    for (let step = 0; step < 1_000; step++) {
      if (random() < 0.45) {
        const busy = fleet.view().filter((backend) => backend.inflight > 0);
        if (busy.length > 0) fleet.finish(busy[Math.floor(random() * busy.length)]!.id);
      }
      fleet.send(strategy, hot);
      const loads = fleet.loads();
      const mean = loads.reduce((sum, load) => sum + load, 0) / loads.length;
      expect(Math.max(...loads)).toBeLessThanOrEqual(Math.ceil(mean - 1e-9) + 1);
    }
  });

  it("gives a backend without a prefix most others hold its share by load: it computes it once", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    const hot = (question: string) =>
      request({ leading: SYSTEM, messages: [{ role: "user", content: question }] });
    // b1, b2 and b3 served the hot prefix first; b0 only a chat request with nothing in common.
    for (const backend of fleet.view().slice(1)) strategy.pick([backend], hot(`first on ${backend.id}`));
    strategy.pick([fleet.view()[0]!], request({ messages: [{ role: "user", content: "hello" }] }));
    for (const id of ["b1", "b2", "b3"]) fleet.inflight.set(id, 4);
    expect(strategy.pick(fleet.view(), hot("a new question"))!.id).toBe("b0");
    // Once all hold it, load alone decides, as least_loaded would.
    fleet.inflight.set("b0", 5);
    expect(strategy.pick(fleet.view(), hot("another question"))!.id).not.toBe("b0");
  });

  it("still follows a conversation held by a minority of the backends", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    warmEverywhere(strategy);
    // The conversation moved once: its history is on b1 and b2, the system prompt everywhere.
    strategy.pick([fleet.view()[1]!], request(conversation(5, 3)));
    strategy.pick([fleet.view()[2]!], request(conversation(5, 3)));
    for (const backend of fleet.view()) fleet.inflight.set(backend.id, 2);
    expect(["b1", "b2"]).toContain(strategy.pick(fleet.view(), request(conversation(5, 5)))!.id);
  });

  it("honours a tighter or looser load bound", () => {
    const prompt = request(conversation(1, 1));
    const loose = new PrefixAwareStrategy({ loadBound: 3 });
    const tight = new PrefixAwareStrategy({ loadBound: 1 });
    const fleet = new Fleet();
    const looseHome = loose.pick(fleet.view(), prompt)!.id;
    const tightHome = tight.pick(fleet.view(), prompt)!.id;
    // Loads 2,0,0,0 (+1): the mean is 0.75; 3 × 0.75 → 3 admits the warm backend, 1 × 0.75 → 1 does not.
    fleet.inflight.set(looseHome, 2);
    expect(loose.pick(fleet.view(), prompt)!.id).toBe(looseHome);
    fleet.inflight.clear();
    fleet.inflight.set(tightHome, 2);
    expect(tight.pick(fleet.view(), prompt)!.id).not.toBe(tightHome);
  });

  it("keeps a session on one backend by its key when the prompt is too short to decide, in every replica", () => {
    const replicas = [new PrefixAwareStrategy(), new PrefixAwareStrategy()];
    const pool = candidates(4);
    const homes = new Set<string>();
    for (let session = 0; session < 40; session++) {
      const short = request({ messages: [{ role: "user", content: `hi ${session}` }] }, `session-${session}`);
      const first = replicas[0]!.pick(pool, short)!.id;
      for (let again = 0; again < 3; again++) expect(replicas[again % 2]!.pick(pool, short)!.id).toBe(first);
      homes.add(first);
    }
    expect(homes.size).toBe(4);
  });

  it("lets the session key decide among backends that match equally, and the prompt decide otherwise", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    warmEverywhere(strategy);
    // A first turn matches the system prompt everywhere: the key decides, the same in another replica.
    const other = new PrefixAwareStrategy();
    warmEverywhere(other);
    const homes = new Set<string>();
    for (let session = 0; session < 20; session++) {
      const first = request(conversation(session, 1), `key-${session}`);
      const home = strategy.pick(fleet.view(), first)!.id;
      expect(other.pick(fleet.view(), first)!.id).toBe(home);
      homes.add(home);
    }
    expect(homes.size).toBe(4);
    // A later turn matches one backend longest: the prompt wins over the key.
    const warm = strategy.pick(fleet.view(), request(conversation(10, 1)))!.id;
    for (let key = 0; key < 10; key++)
      expect(strategy.pick(fleet.view(), request(conversation(10, 3), `other-${key}`))!.id).toBe(warm);
  });

  it("keeps a conversation on one engine when its turns go through different replicas", () => {
    const [first, second] = [new PrefixAwareStrategy(), new PrefixAwareStrategy()];
    warmEverywhere(first);
    warmEverywhere(second);
    const pool = candidates(4);
    for (let session = 0; session < 12; session++) {
      const key = `conversation-${session}`;
      const home = first.pick(pool, request(conversation(session, 1), key))!.id;
      expect(first.pick(pool, request(conversation(session, 3), key))!.id).toBe(home);
      // The other replica has never seen this conversation: its record ties, and the key agrees.
      expect(second.pick(pool, request(conversation(session, 5), key))!.id).toBe(home);
      // Back on the first replica, the longest prefix is still at home.
      expect(first.pick(pool, request(conversation(session, 7), key))!.id).toBe(home);
    }
  });

  it("lets a session key break ties only towards a backend not above the mean load", () => {
    const strategy = new PrefixAwareStrategy();
    const fleet = new Fleet();
    const short = (key: string) => request({ messages: [{ role: "user", content: "hi" }] }, key);
    const home = strategy.pick(fleet.view(), short("alice"))!.id;
    fleet.inflight.set(home, 3);
    fleet.inflight.set(home === "b0" ? "b1" : "b0", 1);
    // Mean after this request: (3 + 1 + 1) / 4 → 2; the home at 3 is above it.
    const elsewhere = strategy.pick(fleet.view(), short("alice"))!.id;
    expect(elsewhere).not.toBe(home);
    expect(fleet.view().find((backend) => backend.id === elsewhere)!.inflight).toBe(0);
    // All level again: the key decides.
    for (const backend of fleet.view()) fleet.inflight.set(backend.id, 2);
    expect(strategy.pick(fleet.view(), short("alice"))!.id).toBe(home);
  });

  it("is least_loaded, by share of capacity, when prompts share nothing", () => {
    const strategy = new PrefixAwareStrategy();
    const pool = candidates(3).map((backend, index) => ({
      ...backend,
      maxConnections: [10, 40, 20][index]!,
      inflight: [2, 4, 3][index]!,
    }));
    for (let session = 0; session < 5; session++)
      expect(strategy.pick(pool, request(conversation(500 + session, 1)))!.id).toBe("b1");
  });

  it("forgets a removed backend's record", () => {
    const strategy = new PrefixAwareStrategy();
    const pool = candidates(4);
    const home = strategy.pick(pool, request(conversation(1, 1)))!.id;
    expect(strategy.cachedBlocks(home)).toBeGreaterThan(10);
    strategy.forget(home);
    expect(strategy.cachedBlocks(home)).toBe(0);
    // Nothing matches any more: the choice rotates rather than sticking to the old home.
    const next = new Set(Array.from({ length: 4 }, () => strategy.pick(pool, request({ leading: "x" }))!.id));
    expect(next.size).toBe(4);
  });

  it("forgets old conversations as the engine would evict them", () => {
    const strategy = new PrefixAwareStrategy({ cacheBlocks: 40, loadBound: 100 });
    const unique = (name: string): RoutingRequest =>
      request({ leading: `${name} `.repeat(1_000).slice(0, 20 * 256) });
    const pool = candidates(2);
    const home = strategy.pick(pool, unique("first"))!;
    const busyHome = pool.map((backend) => (backend.id === home.id ? { ...backend, inflight: 1 } : backend));
    // Warm, it wins though busier.
    expect(strategy.pick(busyHome, unique("first"))!.id).toBe(home.id);
    // Sixty newer blocks push its twenty out of a 40-block record.
    for (const name of ["second", "third", "fourth"]) strategy.pick([home], unique(name));
    expect(strategy.cachedBlocks(home.id)).toBe(40);
    expect(strategy.pick(busyHome, unique("first"))!.id).not.toBe(home.id);
  });
});

describe("CachedBlocks", () => {
  const range = (from: number, count: number): number[] =>
    Array.from({ length: count }, (_, index) => from + index);

  it("matches the leading blocks it holds, and stops at the first it does not", () => {
    const record = new CachedBlocks(10);
    record.add([1, 2, 3]);
    expect(record.matchLength([1, 2, 3, 4])).toBe(3);
    expect(record.matchLength([1, 2, 9])).toBe(2);
    expect(record.matchLength([9, 8, 7])).toBe(0);
    expect(record.matchLength([])).toBe(0);
  });

  it("keeps between half and all of its capacity, the most recently sent blocks", () => {
    const record = new CachedBlocks(100);
    for (let prompt = 0; prompt < 20; prompt++) {
      record.add(range(prompt * 1000, 30));
      expect(record.size).toBeLessThanOrEqual(100);
    }
    expect(record.size).toBeGreaterThanOrEqual(50);
    // The newest prompt is whole; the oldest are gone.
    expect(record.matchLength(range(19_000, 30))).toBe(30);
    expect(record.matchLength(range(0, 30))).toBe(0);
  });

  it("keeps a prompt that is sent again and again, however much else passes through", () => {
    const record = new CachedBlocks(100);
    const hot = range(1, 20);
    for (let prompt = 0; prompt < 50; prompt++) {
      record.add(hot);
      record.add(range(1000 * (prompt + 1), 10));
    }
    expect(record.matchLength(hot)).toBe(20);
  });

  it("loses a prompt's tail before its head", () => {
    const record = new CachedBlocks(40);
    record.add(range(1, 30));
    // Thirty new blocks turn the generations over: what is left of the old prompt is its head.
    record.add(range(1000, 30));
    const left = record.matchLength(range(1, 30));
    expect(left).toBeLessThan(30);
    const held = range(1, 30).filter((block) => record.matchLength([block]) === 1);
    expect(held).toEqual(range(1, held.length));
  });

  it("keeps the head of a prompt longer than its capacity", () => {
    const record = new CachedBlocks(10);
    record.add(range(1, 50));
    expect(record.size).toBeLessThanOrEqual(10);
    expect(record.matchLength(range(1, 50))).toBeGreaterThanOrEqual(5);
  });
});
