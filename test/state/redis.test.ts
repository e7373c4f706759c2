import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StateEvent } from "../../src/state/events.js";
import { RedisStore, type RedisStoreOptions } from "../../src/state/redis.js";
import type { Lease, StateStore } from "../../src/state/store.js";
import { eventually } from "../helpers/http.js";
import { freePort, RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { manualClock, runStateStoreConformance } from "./conformance.js";
import { unexpectedErrors } from "./store-errors.js";

const hasRedis = redisServerAvailable();

function namespace(): string {
  return `test-${randomBytes(6).toString("hex")}`;
}

describe.skipIf(!hasRedis)("RedisStore", () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  runStateStoreConformance("redis", async () => {
    const errors: unknown[] = [];
    const clock = manualClock();
    const store = await RedisStore.connect({
      url: server.url,
      namespace: namespace(),
      now: clock.now,
      onError: (e) => errors.push(e),
    });
    expect(store.status()).toBe("ok");
    return {
      store,
      clock,
      cleanup: async () => {
        await store.close();
        expect(unexpectedErrors(errors)).toEqual([]);
      },
    };
  });

  describe("two replicas on one server", () => {
    let a: RedisStore;
    let b: RedisStore;
    // Replicas of one server share its clock; here they share one the cases move by hand.
    const clock = manualClock();

    beforeAll(async () => {
      const shared = namespace();
      [a, b] = await Promise.all([
        RedisStore.connect({ url: server.url, namespace: shared, now: clock.now }),
        RedisStore.connect({ url: server.url, namespace: shared, now: clock.now }),
      ]);
    });

    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it("hold one cap of 4 between them", async () => {
      const attempts = Array.from({ length: 40 }, (_, index) =>
        (index % 2 ? a : b).acquire("shared", 4, 10_000),
      );
      const granted = (await Promise.all(attempts)).filter((lease): lease is Lease => lease !== undefined);
      expect(granted).toHaveLength(4);
      expect(await a.inflight("shared")).toBe(4);
      expect(await b.inflight("shared")).toBe(4);
      await Promise.all(granted.map((lease) => lease.release()));
      expect(await b.inflight("shared")).toBe(0);
      const first = await a.acquire("shared", 0, 10_000);
      const second = await b.acquire("shared", 0, 10_000);
      expect([first?.inflight, second?.inflight]).toEqual([1, 2]);
      await Promise.all([first?.release(), second?.release()]);
    });

    it("see each other's registrations within a second", async () => {
      const seen: StateEvent[] = [];
      const unsubscribe = b.subscribe((event) => seen.push(event));
      const started = Date.now();
      await a.putRegistration("gpu-1", { url: "http://10.0.0.1:8000", models: ["llama"] });
      await eventually(() => seen.some((event) => event.type === "put" && event.id === "gpu-1"), 3_000, 5);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(seen).toContainEqual({
        type: "put",
        id: "gpu-1",
        record: { url: "http://10.0.0.1:8000", models: ["llama"] },
      });
      expect((await b.registrations()).get("gpu-1")).toEqual({
        url: "http://10.0.0.1:8000",
        models: ["llama"],
      });

      await a.deleteRegistration("gpu-1");
      await eventually(() => seen.some((event) => event.type === "delete" && event.id === "gpu-1"), 3_000, 5);
      expect((await b.registrations()).has("gpu-1")).toBe(false);
      unsubscribe();
    });

    it("share circuits: opened via A reads open on B, and B hears it", async () => {
      const seen: StateEvent[] = [];
      const unsubscribe = b.subscribe((event) => seen.push(event));
      await a.recordFailure("flaky", 2, 30_000);
      await b.recordFailure("flaky", 2, 30_000); // failures add up across replicas
      expect((await a.circuit("flaky")).state).toBe("open");
      expect(await b.circuit("flaky")).toMatchObject({ state: "open", consecutiveFailures: 2 });
      await eventually(() => seen.some((event) => event.type === "circuit"), 3_000, 5);
      await a.recordSuccess("flaky");
      expect((await b.circuit("flaky")).state).toBe("closed");

      // A failure seen on A, then a success on B once B has heard of it: the count is reset.
      seen.length = 0;
      await a.recordFailure("flaky", 3, 30_000);
      await eventually(() => seen.some((event) => event.type === "circuit"), 3_000, 5);
      await b.recordSuccess("flaky");
      expect(await a.circuit("flaky")).toEqual({ state: "closed", consecutiveFailures: 0, openedUntil: 0 });
      unsubscribe();
    });

    it("give the half-open probe to exactly one replica", async () => {
      // The reservation lapses after openMs; the clock stands still while the 20 calls run.
      await a.recordFailure("probe", 1, 1_000);
      await clock.advance(1_100);
      const probes = await Promise.all(
        Array.from({ length: 20 }, (_, index) => (index % 2 ? a : b).tryProbe("probe")),
      );
      expect(probes.filter(Boolean)).toHaveLength(1);
    });

    it("share health marks, key states and rate-limit windows", async () => {
      const seen: StateEvent[] = [];
      const unsubscribe = b.subscribe((event) => seen.push(event));
      await a.setHealth("node", false);
      expect(await b.health("node")).toBe(false);
      const until = clock.now() + 60_000;
      await a.coolDownKey("fp1", until);
      await a.disableKey("fp2", "401");
      const states = await b.keyStates(["fp1", "fp2"]);
      expect(states.get("fp1")).toEqual({ coolingDownUntil: until });
      expect(states.get("fp2")).toEqual({ coolingDownUntil: 0, disabledReason: "401" });
      await eventually(() => seen.filter((event) => event.type !== "circuit").length >= 3, 3_000, 5);
      expect(seen).toContainEqual({ type: "health", backendId: "node", healthy: false });
      expect(seen).toContainEqual({ type: "key", fingerprint: "fp1", state: { coolingDownUntil: until } });

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) => (index % 2 ? a : b).addToWindow("user:1", 60_000, 1, 6)),
      );
      expect(results.filter((result) => result.allowed)).toHaveLength(6);
      unsubscribe();
    });

    it("lets a crashed replica's leases expire", async () => {
      const shared = namespace();
      const dying = await RedisStore.connect({ url: server.url, namespace: shared, now: clock.now });
      const watcher = await RedisStore.connect({ url: server.url, namespace: shared, now: clock.now });
      await dying.acquire("x", 2, 1_000);
      await dying.acquire("x", 2, 1_000);
      await dying.close(); // gone without releasing
      expect(await watcher.inflight("x")).toBe(2);
      expect(await watcher.acquire("x", 2, 10_000)).toBeUndefined();
      await clock.advance(1_300);
      expect(await watcher.inflight("x")).toBe(0);
      expect(await watcher.acquire("x", 2, 10_000)).toBeDefined();
      await watcher.close();
    });
  });

  describe("outage", () => {
    let outage: RedisServer;
    const stores: StateStore[] = [];

    beforeAll(async () => {
      outage = await startRedisServer();
    });

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      if (!outage.running) await outage.start();
    });

    afterAll(async () => {
      await outage?.stop();
    });

    /** Stores opened in one case share it; cases do not see each other's keys. */
    let caseNamespace = namespace();

    beforeEach(() => {
      caseNamespace = namespace();
    });

    async function open(options: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
      // Lost connections are reported through onError by design; collected here, not printed.
      const store = await RedisStore.connect({
        url: outage.url,
        namespace: caseNamespace,
        onError: () => {},
        ...options,
      });
      stores.push(store);
      return store;
    }

    /** Resolves the call's result and how long it took. */
    async function timed<T>(call: Promise<T>): Promise<{ value: T; ms: number }> {
      const started = performance.now();
      const value = await call;
      return { value, ms: performance.now() - started };
    }

    it("serves from the local view while Redis is down and resynchronises after a restart", async () => {
      // A long deadline: a call that waited for Redis instead of going local at once would show.
      const clock = manualClock();
      const a = await open({ commandTimeoutMs: 1_000, now: clock.now });
      const b = await open({ commandTimeoutMs: 1_000, now: clock.now });
      // Past the replica count's refresh, so A's acquire learns it has company.
      await clock.advance(1_000);
      await a.putRegistration("before", { url: "http://a:1" });
      const held = await a.acquire("be", 2, 30_000);
      expect(held).toBeDefined();
      expect(a.status()).toBe("ok");

      await outage.stop();
      await eventually(() => a.status() === "degraded" && b.status() === "degraded", 2_000, 5);

      // Every call resolves, quickly, without touching Redis.
      const calls = await Promise.all([
        timed(a.acquire("be", 2, 30_000)),
        timed(a.acquire("be", 2, 30_000)),
        timed(a.inflight("be")),
        timed(a.recordFailure("be", 1, 60_000)),
        timed(a.circuit("be")),
        timed(a.tryProbe("be")),
        timed(a.setHealth("be", false)),
        timed(a.health("be")),
        timed(a.coolDownKey("fp", Date.now() + 60_000)),
        timed(a.keyStates(["fp"])),
        timed(a.addToWindow("w", 60_000, 1, 5)),
        timed(a.putRegistration("during", { url: "http://a:2" })),
        timed(a.registrations()),
        timed(b.registrations()),
      ]);
      for (const call of calls) expect(call.ms).toBeLessThan(250);
      const [first, second, inflight, circuit] = calls.map((call) => call.value);
      // A keeps to the share of the cap it held when Redis went away (B may hold the rest).
      expect(first).toBeUndefined();
      expect(second).toBeUndefined();
      expect(inflight).toBe(1);
      expect(circuit).toMatchObject({ state: "open" });
      expect(calls[12]?.value).toEqual(
        new Map([
          ["before", { url: "http://a:1" }],
          ["during", { url: "http://a:2" }],
        ]),
      );
      // B still knows what it had heard of.
      expect(calls[13]?.value).toEqual(new Map([["before", { url: "http://a:1" }]]));
      await held?.release(); // queued for Redis
      // Its share lets it replace its own finished request, and no more.
      const during = await a.acquire("be", 2, 30_000);
      expect(during).toBeDefined();
      expect(await a.acquire("be", 2, 30_000)).toBeUndefined();

      const seenByB: StateEvent[] = [];
      b.subscribe((event) => seenByB.push(event));
      await outage.start(); // empty: the restart lost every key
      await eventually(() => a.status() === "ok" && b.status() === "ok", 5_000, 10);

      // Owners re-published their registrations; B heard the one it missed.
      expect(await b.registrations()).toEqual(
        new Map([
          ["before", { url: "http://a:1" }],
          ["during", { url: "http://a:2" }],
        ]),
      );
      await eventually(
        () => seenByB.some((event) => event.type === "put" && event.id === "during"),
        1_000,
        5,
      );
      // The lease taken during the outage is counted globally again; the released one is not.
      expect(await b.inflight("be")).toBe(1);
      expect(await b.health("be")).toBe(false);
      await (during as Lease).release();
      expect(await b.inflight("be")).toBe(0);
      // B's subscription survived the restart.
      await a.putRegistration("after", { url: "http://a:3" });
      await eventually(() => seenByB.some((event) => event.type === "put" && event.id === "after"), 3_000, 5);
    });

    it("does not hang on a server that stops answering, and replays what it missed", async () => {
      const store = await open({ commandTimeoutMs: 300 });
      const earlier = await store.acquire("hung", 0, 10_000);
      await store.putRegistration("gone", { url: "u" });
      expect(store.status()).toBe("ok");
      outage.freeze(); // a partition: Redis keeps its data
      let during: Lease | undefined;
      try {
        const firstCall = await timed(store.acquire("hung", 0, 10_000));
        during = firstCall.value;
        expect(during).toBeDefined();
        expect(firstCall.ms).toBeLessThan(1_000);
        expect(store.status()).toBe("degraded");
        // Once degraded, calls no longer wait for the deadline.
        const next = await timed(store.inflight("hung"));
        expect(next.value).toBe(2);
        expect(next.ms).toBeLessThan(150);
        await earlier?.release();
        await store.deleteRegistration("gone");
      } finally {
        outage.thaw();
      }
      await eventually(() => store.status() === "ok", 5_000, 10);
      // The release and the delete reached Redis; the lease taken meanwhile is counted there.
      expect(await store.inflight("hung")).toBe(1);
      expect(await store.registrations()).toEqual(new Map());
      await during?.release();
      expect(await store.inflight("hung")).toBe(0);
    });

    it("closes promptly when Redis never answered", async () => {
      const port = await freePort();
      const store = await RedisStore.connect({
        url: `redis://127.0.0.1:${port}`,
        connectWaitMs: 50,
        onError: () => {},
      });
      expect(store.status()).toBe("degraded");
      expect(await store.acquire("b", 1, 1_000)).toBeDefined();
      const closing = await timed(store.close());
      expect(closing.ms).toBeLessThan(1_000);
      expect(await store.inflight("b")).toBe(1); // after close: still answers, locally
    });

    it("starts degraded when Redis is not there yet and recovers when it appears", async () => {
      const late = new RedisServer(await freePort());
      const store = await RedisStore.connect({
        url: late.url,
        namespace: "late",
        connectWaitMs: 100,
        onError: () => {},
      });
      const other = await RedisStore.connect({
        url: late.url,
        namespace: "late",
        connectWaitMs: 0,
        onError: () => {},
      });
      stores.push(store, other);
      const heard: StateEvent[] = [];
      store.subscribe((event) => heard.push(event));
      expect(store.status()).toBe("degraded");
      await store.putRegistration("mine", { ok: true });
      expect(await store.acquire("b", 1, 10_000)).toBeDefined();
      await late.start();
      try {
        await eventually(() => store.status() === "ok", 5_000, 10);
        expect(await store.registrations()).toEqual(new Map([["mine", { ok: true }]]));
        expect(await store.inflight("b")).toBe(1);
        await eventually(() => other.status() === "ok", 5_000, 10);
        await other.setHealth("n", true);
        await eventually(() => heard.some((event) => event.type === "health"), 3_000, 5);
      } finally {
        await Promise.all([store.close(), other.close()]);
        await late.stop();
      }
    });
  });
});
