/**
 * The behaviour every {@link StateStore} must show, run against each implementation
 * (`memory.test.ts`, `redis.test.ts`, `ipc.test.ts`, `ipc-process.test.ts`). Each store runs on a
 * clock the suite moves by hand (the stores' `now` option), so expiry, cooldown and window cases
 * take no time and do not depend on how busy the machine is: between two moves the store's time
 * stands still.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StateEvent } from "../../src/state/events.js";
import type { Clock, Lease, StateStore } from "../../src/state/store.js";
import { eventually } from "../helpers/http.js";

/** The clock a store under test was given. */
export interface FixtureClock {
  readonly now: Clock;
  /** Moves time on; resolves once every part of the store (another process included) sees it. */
  advance(ms: number): Promise<void>;
}

export interface StoreFixture {
  store: StateStore;
  clock: FixtureClock;
  cleanup: () => Promise<void>;
}

/** A clock that only moves when told to, starting at the real time so its readings look real. */
export function manualClock(start = Date.now()): FixtureClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

/**
 * How long to listen for events that must not come. Delivery is real I/O (pub/sub, IPC), so this
 * one wait is on the real clock; an extra event would arrive within it on any machine we run on.
 */
const QUIET_MS = 30;

function isLease(value: Lease | undefined): value is Lease {
  return value !== undefined;
}

export function runStateStoreConformance(name: string, create: () => Promise<StoreFixture>): void {
  describe(`StateStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: StateStore;
    let clock: FixtureClock;

    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
      clock = fixture.clock;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe("leases", () => {
      it("counts leases per backend and gives each a distinct id", async () => {
        const a = await store.acquire("b1", 0, 10_000);
        const b = await store.acquire("b1", 0, 10_000);
        const c = await store.acquire("b2", 0, 10_000);
        expect(a?.backendId).toBe("b1");
        expect([a?.inflight, b?.inflight, c?.inflight]).toEqual([1, 2, 1]);
        expect(new Set([a?.id, b?.id, c?.id]).size).toBe(3);
        expect(await store.inflight("b1")).toBe(2);
        expect(await store.inflight("b2")).toBe(1);
        expect(await store.inflight("unknown")).toBe(0);
      });

      it("release is idempotent", async () => {
        const a = await store.acquire("b1", 0, 10_000);
        await store.acquire("b1", 0, 10_000);
        await a?.release();
        await a?.release();
        await Promise.all([a?.release(), a?.release()]);
        expect(await store.inflight("b1")).toBe(1);
      });

      it("holds a cap of 4 under 50 concurrent acquires", async () => {
        const leases = await Promise.all(
          Array.from({ length: 50 }, () => store.acquire("capped", 4, 10_000)),
        );
        const granted = leases.filter(isLease);
        expect(granted).toHaveLength(4);
        expect(await store.inflight("capped")).toBe(4);
        expect(await store.acquire("capped", 4, 10_000)).toBeUndefined();
        await granted[0]?.release();
        const next = await store.acquire("capped", 4, 10_000);
        expect(next).toBeDefined();
        expect(await store.acquire("capped", 4, 10_000)).toBeUndefined();
        expect(await store.inflight("capped")).toBe(4);
      });

      it("keeps each backend's own cap when concurrent acquires mix backends and caps", async () => {
        const plan = Array.from({ length: 60 }, (_, index) => ["mix-a", "mix-b", "mix-c"][index % 3]!);
        const caps: Record<string, number> = { "mix-a": 2, "mix-b": 5, "mix-c": 0 };
        const leases = await Promise.all(
          plan.map((backend) => store.acquire(backend, caps[backend]!, 10_000)),
        );
        const granted = (backend: string) =>
          leases.filter((lease, index) => plan[index] === backend && isLease(lease)).length;
        expect([granted("mix-a"), granted("mix-b"), granted("mix-c")]).toEqual([2, 5, 20]);
        expect(await store.inflight("mix-a")).toBe(2);
        expect(await store.inflight("mix-b")).toBe(5);
        expect(await store.inflight("mix-c")).toBe(20);
        // Each lease saw the count of its own backend only, never more than its cap.
        for (const [index, lease] of leases.entries()) {
          const cap = caps[plan[index]!]!;
          if (lease && cap > 0) expect(lease.inflight).toBeLessThanOrEqual(cap);
        }
      });

      it("treats max 0 as no cap", async () => {
        const leases = await Promise.all(Array.from({ length: 20 }, () => store.acquire("open", 0, 10_000)));
        expect(leases.filter(isLease)).toHaveLength(20);
        expect(await store.inflight("open")).toBe(20);
      });

      it("drops a crashed holder's lease after its TTL, freeing the slot", async () => {
        await store.acquire("crashy", 1, 600); // never released
        expect(await store.inflight("crashy")).toBe(1);
        expect(await store.acquire("crashy", 1, 600)).toBeUndefined();
        await clock.advance(900);
        expect(await store.inflight("crashy")).toBe(0);
        expect(await store.acquire("crashy", 1, 10_000)).toBeDefined();
      });

      it("renew extends a live lease and refuses a released or expired one", async () => {
        const lease = await store.acquire("long", 0, 1_200);
        await clock.advance(600);
        expect(await lease?.renew()).toBe(true); // now expires at 1 800
        await clock.advance(900); // 1 500: past the first expiry, before the renewed one
        expect(await store.inflight("long")).toBe(1);
        expect(await lease?.renew(1_000)).toBe(true);
        await lease?.release();
        expect(await lease?.renew()).toBe(false);
        expect(await store.inflight("long")).toBe(0);

        const lapsed = await store.acquire("long", 0, 100);
        await clock.advance(250);
        expect(await lapsed?.renew()).toBe(false);
        expect(await store.inflight("long")).toBe(0);
      });
    });

    describe("circuits", () => {
      it("starts closed and resets the count on success", async () => {
        expect(await store.circuit("c")).toEqual({ state: "closed", consecutiveFailures: 0, openedUntil: 0 });
        expect(await store.recordFailure("c", 3, 1_000)).toMatchObject({
          state: "closed",
          consecutiveFailures: 1,
        });
        expect(await store.recordFailure("c", 3, 1_000)).toMatchObject({
          state: "closed",
          consecutiveFailures: 2,
        });
        expect(await store.recordSuccess("c")).toEqual({
          state: "closed",
          consecutiveFailures: 0,
          openedUntil: 0,
        });
        expect(await store.recordFailure("c", 3, 1_000)).toMatchObject({ consecutiveFailures: 1 });
        expect(await store.tryProbe("c")).toBe(false);
      });

      it("opens at the threshold, goes half-open after openMs, and lets one probe through", async () => {
        const before = clock.now();
        await store.recordFailure("c", 2, 800);
        const opened = await store.recordFailure("c", 2, 800);
        expect(opened.state).toBe("open");
        expect(opened.consecutiveFailures).toBe(2);
        // Exact: the store measured the open period on the clock it was given.
        expect(opened.openedUntil).toBe(before + 800);
        expect((await store.circuit("c")).state).toBe("open");
        expect(await store.tryProbe("c")).toBe(false);
        // A failure while open (a request sent before it opened) does not push the reopening.
        expect((await store.recordFailure("c", 2, 800)).openedUntil).toBe(opened.openedUntil);

        await clock.advance(1_000);
        expect((await store.circuit("c")).state).toBe("half_open");
        const probes = await Promise.all(Array.from({ length: 10 }, () => store.tryProbe("c")));
        expect(probes.filter(Boolean)).toHaveLength(1);
        expect(await store.tryProbe("c")).toBe(false);

        // The probe failed: open again for a new period, which gets its own single probe.
        const reopened = await store.recordFailure("c", 2, 800);
        expect(reopened.state).toBe("open");
        expect(reopened.openedUntil).toBeGreaterThan(opened.openedUntil);
        expect(await store.tryProbe("c")).toBe(false);
        await clock.advance(1_000);
        const again = await Promise.all(Array.from({ length: 5 }, () => store.tryProbe("c")));
        expect(again.filter(Boolean)).toHaveLength(1);

        expect(await store.recordSuccess("c")).toEqual({
          state: "closed",
          consecutiveFailures: 0,
          openedUntil: 0,
        });
        expect((await store.circuit("c")).state).toBe("closed");
        expect(await store.tryProbe("c")).toBe(false);
      });

      it("never opens with threshold 0", async () => {
        for (let index = 0; index < 5; index++) await store.recordFailure("c0", 0, 1_000);
        expect(await store.circuit("c0")).toMatchObject({ state: "closed", consecutiveFailures: 5 });
      });

      it("announces every failure and the closing, not a success that changes nothing", async () => {
        const events: StateEvent[] = [];
        store.subscribe((event) => events.push(event));
        await store.recordSuccess("c");
        await store.recordFailure("c", 2, 5_000);
        await store.recordFailure("c", 2, 5_000);
        await store.recordSuccess("c");
        await store.recordSuccess("c");
        await eventually(() => events.length >= 3, 2_000);
        await sleep(QUIET_MS);
        const counts = events.flatMap((event) =>
          event.type === "circuit" ? [[event.snapshot.state, event.snapshot.consecutiveFailures]] : [],
        );
        expect(counts).toEqual([
          ["closed", 1],
          ["open", 2],
          ["closed", 0],
        ]);
        expect(events[0]).toMatchObject({ type: "circuit", backendId: "c" });
      });
    });

    describe("health", () => {
      it("stores marks and announces changes only", async () => {
        const events: StateEvent[] = [];
        store.subscribe((event) => events.push(event));
        expect(await store.health("h")).toBeUndefined();
        await store.setHealth("h", false);
        expect(await store.health("h")).toBe(false);
        await store.setHealth("h", false);
        await store.setHealth("h", true);
        expect(await store.health("h")).toBe(true);
        await eventually(() => events.length >= 2, 2_000);
        await sleep(QUIET_MS);
        expect(events).toEqual([
          { type: "health", backendId: "h", healthy: false },
          { type: "health", backendId: "h", healthy: true },
        ]);
      });
    });

    describe("keys", () => {
      it("cools keys down (never shorter), disables them, and reports unknown keys as usable", async () => {
        const until = clock.now() + 800;
        await store.coolDownKey("k1", until);
        await store.coolDownKey("k1", until - 100);
        await store.disableKey("k2", "401 from upstream");
        const states = await store.keyStates(["k1", "k2", "k3"]);
        expect(states.get("k1")).toEqual({ coolingDownUntil: until });
        expect(states.get("k2")).toEqual({ coolingDownUntil: 0, disabledReason: "401 from upstream" });
        expect(states.get("k3")).toEqual({ coolingDownUntil: 0 });
        expect([...states.keys()]).toEqual(["k1", "k2", "k3"]);

        await clock.advance(1_000);
        expect((await store.keyStates(["k1"])).get("k1")).toEqual({ coolingDownUntil: 0 });
        await store.coolDownKey("k2", clock.now() + 60_000);
        expect((await store.keyStates(["k2"])).get("k2")?.disabledReason).toBe("401 from upstream");
      });

      it("announces key changes", async () => {
        const events: StateEvent[] = [];
        store.subscribe((event) => events.push(event));
        const until = clock.now() + 60_000;
        await store.coolDownKey("k", until);
        await store.disableKey("k", "403");
        await eventually(() => events.length >= 2, 2_000);
        expect(events[0]).toEqual({ type: "key", fingerprint: "k", state: { coolingDownUntil: until } });
        expect(events[1]).toEqual({
          type: "key",
          fingerprint: "k",
          state: { coolingDownUntil: until, disabledReason: "403" },
        });
      });
    });

    describe("windows", () => {
      it("counts up to the limit and refuses without counting past it", async () => {
        // The clock stands still, so the case cannot straddle a window boundary.
        const results = [];
        for (let index = 0; index < 4; index++) results.push(await store.addToWindow("w", 60_000, 1, 3));
        expect(results.map((result) => [result.allowed, result.total])).toEqual([
          [true, 1],
          [true, 2],
          [true, 3],
          [false, 3],
        ]);
        for (const result of results) {
          expect(result.resetMs).toBeGreaterThan(0);
          expect(result.resetMs).toBeLessThanOrEqual(60_000);
        }
        expect(await store.addToWindow("w2", 60_000, 5, 10)).toMatchObject({ allowed: true, total: 5 });
        expect(await store.addToWindow("w2", 60_000, 6, 10)).toMatchObject({ allowed: false, total: 5 });
        expect(await store.addToWindow("w2", 60_000, 0, 10)).toMatchObject({ allowed: true, total: 5 });
        expect(await store.addToWindow("w3", 60_000, 1_000, 0)).toMatchObject({
          allowed: true,
          total: 1_000,
        });
      });

      it("holds the limit under concurrent adds", async () => {
        const results = await Promise.all(
          Array.from({ length: 30 }, () => store.addToWindow("wc", 60_000, 1, 10)),
        );
        expect(results.filter((result) => result.allowed)).toHaveLength(10);
        expect(Math.max(...results.map((result) => result.total))).toBe(10);
      });

      it("starts again from zero in the next window", async () => {
        const first = await store.addToWindow("ws", 200, 1, 1);
        expect(first.allowed).toBe(true);
        await clock.advance(first.resetMs + 20);
        expect(await store.addToWindow("ws", 200, 1, 1)).toMatchObject({ allowed: true, total: 1 });
      });
    });

    describe("registrations", () => {
      it("stores copies of JSON records, overwrites and deletes", async () => {
        const record = {
          url: "http://127.0.0.1:9000",
          models: ["m1"],
          weight: 2,
          meta: { nested: [1, { a: null }] },
        };
        await store.putRegistration("r1", record);
        await store.putRegistration("r2", "plain string");
        record.weight = 99;
        const all = await store.registrations();
        expect(all.get("r1")).toEqual({ ...record, weight: 2 });
        expect(all.get("r2")).toBe("plain string");
        expect(all.size).toBe(2);
        all.delete("r1");
        expect((await store.registrations()).has("r1")).toBe(true);

        await store.putRegistration("r1", { url: "http://127.0.0.1:9001" });
        expect((await store.registrations()).get("r1")).toEqual({ url: "http://127.0.0.1:9001" });
        await store.deleteRegistration("r1");
        await store.deleteRegistration("missing");
        expect([...(await store.registrations()).keys()]).toEqual(["r2"]);
      });

      it("announces puts and deletes until unsubscribed", async () => {
        const events: StateEvent[] = [];
        const unsubscribe = store.subscribe((event) => events.push(event));
        const other: StateEvent[] = [];
        store.subscribe((event) => other.push(event));
        await store.putRegistration("r", { url: "u" });
        await store.deleteRegistration("r");
        await eventually(() => events.length >= 2, 2_000);
        expect(events).toEqual([
          { type: "put", id: "r", record: { url: "u" } },
          { type: "delete", id: "r" },
        ]);
        unsubscribe();
        await store.putRegistration("r", { url: "v" });
        await eventually(() => other.length >= 3, 2_000);
        expect(events).toHaveLength(2);
      });

      it("keeps delivering to other listeners when one throws", async () => {
        const seen: StateEvent[] = [];
        store.subscribe(() => {
          throw new Error("listener bug");
        });
        store.subscribe((event) => seen.push(event));
        await store.putRegistration("r", 1);
        await eventually(() => seen.length === 1, 2_000);
        expect(await store.registrations()).toEqual(new Map([["r", 1]]));
      });
    });

    it("reports ok while healthy", () => {
      expect(store.status()).toBe("ok");
      expect(typeof store.kind).toBe("string");
    });
  });
}
