/**
 * The budget stores: memory, Redis and a `--workers` primary's (IPC) count the same way, and racing
 * reservations from several stores sharing one Redis or one primary never pass a limit.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BudgetCharge, BudgetStore } from "../../src/state/budget-store/budget-store.js";
import { IpcBudgetHost, IpcBudgetStore } from "../../src/state/budget-store/ipc.js";
import { MemoryBudgetStore } from "../../src/state/budget-store/memory.js";
import { RedisBudgetStore } from "../../src/state/budget-store/redis.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { loopback } from "./loopback.js";

const hasRedis = redisServerAvailable();

const charge = (overrides: Partial<BudgetCharge> = {}): BudgetCharge => ({
  key: "key:a:tokens:day",
  bucket: 1000,
  oldest: 1000,
  ttlMs: 60_000,
  limit: 100,
  amount: 30,
  ...overrides,
});

function behaves(name: string, make: () => Promise<BudgetStore>) {
  describe(name, () => {
    it("counts reservations up to the limit and settles corrections", async () => {
      const store = await make();
      expect(await store.reserve([charge()])).toEqual({ ok: true });
      expect(await store.reserve([charge()])).toEqual({ ok: true });
      expect(await store.reserve([charge()])).toEqual({ ok: true });
      expect(await store.reserve([charge()])).toEqual({ ok: false, index: 0, spent: 90, oldestUsed: 1000 });
      await store.adjust([{ key: "key:a:tokens:day", bucket: 1000, ttlMs: 60_000, delta: -25 }]);
      expect(await store.spent("key:a:tokens:day", 1000)).toBe(65);
      expect(await store.reserve([charge()])).toEqual({ ok: true });
      await store.close();
    });

    it("charges all or nothing, and names the charge that did not fit", async () => {
      const store = await make();
      const team = charge({ key: "team:t:usd:week", limit: 50, amount: 40 });
      expect(await store.reserve([charge(), team])).toEqual({ ok: true });
      expect(await store.reserve([charge(), team])).toMatchObject({ ok: false, index: 1, spent: 40 });
      expect(await store.spent("key:a:tokens:day", 1000)).toBe(30);
      await store.close();
    });

    it("drops buckets older than the window", async () => {
      const store = await make();
      expect(await store.reserve([charge({ bucket: 1000, amount: 90 })])).toEqual({ ok: true });
      expect(await store.reserve([charge({ bucket: 2000, oldest: 1000 })])).toMatchObject({ ok: false });
      expect(await store.reserve([charge({ bucket: 2000, oldest: 2000 })])).toEqual({ ok: true });
      expect(await store.spent("key:a:tokens:day", 1000)).toBe(30);
      await store.close();
    });
  });
}

behaves("MemoryBudgetStore", async () => new MemoryBudgetStore());

/** A worker's store served by its own primary-side host over a loopback channel. */
function workerOf(host: IpcBudgetHost, options: { callTimeoutMs?: number } = {}) {
  const channel = loopback();
  host.serve(channel.primary);
  return { store: new IpcBudgetStore({ port: channel.worker, ...options }), channel };
}

behaves("IpcBudgetStore (a --workers primary's counters)", async () => workerOf(new IpcBudgetHost()).store);

describe("IpcBudgetStore", () => {
  it("never passes a limit with reservations racing from several workers", async () => {
    const host = new IpcBudgetHost();
    const stores = [workerOf(host).store, workerOf(host).store, workerOf(host).store];
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, index) =>
        stores[index % 3]!.reserve([charge({ limit: 1000, amount: 70 })]),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(Math.floor(1000 / 70));
    expect(await host.store.spent("key:a:tokens:day", 1000)).toBe(Math.floor(1000 / 70) * 70);
    await Promise.all(stores.map((store) => store.close()));
  });

  it("counts in its own process while the primary does not answer, reporting it once", async () => {
    const errors: unknown[] = [];
    const silent = loopback();
    const store = new IpcBudgetStore({
      port: silent.worker,
      callTimeoutMs: 20,
      onError: (e) => errors.push(e),
    });
    expect(await store.reserve([charge({ amount: 60 })])).toEqual({ ok: true });
    expect(await store.reserve([charge({ amount: 60 })])).toMatchObject({ ok: false, spent: 60 });
    expect(await store.spent("key:a:tokens:day", 1000)).toBe(60);
    expect(errors).toHaveLength(1);

    const host = new IpcBudgetHost();
    const dying = workerOf(host);
    expect(await dying.store.reserve([charge({ amount: 60 })])).toEqual({ ok: true });
    dying.channel.close();
    // The primary's count is out of reach: the worker starts its own from nothing.
    expect(await dying.store.reserve([charge({ amount: 60 })])).toEqual({ ok: true });
    expect(await host.store.spent("key:a:tokens:day", 1000)).toBe(60);
    await Promise.all([store.close(), dying.store.close()]);
  });
});

describe.skipIf(!hasRedis)("RedisBudgetStore", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const connect = (namespace: string) => RedisBudgetStore.connect({ url: server.url, namespace });
  behaves("on a real redis-server", () => connect(`b${randomBytes(4).toString("hex")}`));

  it("never passes a limit with reservations racing from several replicas", async () => {
    const namespace = `b${randomBytes(4).toString("hex")}`;
    const stores = await Promise.all([connect(namespace), connect(namespace), connect(namespace)]);
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, index) =>
        stores[index % 3]!.reserve([charge({ limit: 1000, amount: 70 })]),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(Math.floor(1000 / 70));
    expect(await stores[0]!.spent("key:a:tokens:day", 1000)).toBe(Math.floor(1000 / 70) * 70);
    await Promise.all(stores.map((store) => store.close()));
  });

  it("counts in this process while Redis is away, and in Redis again once it is back", async () => {
    const own = await startRedisServer();
    const errors: unknown[] = [];
    const store = await RedisBudgetStore.connect({
      url: own.url,
      commandTimeoutMs: 200,
      onError: (error) => errors.push(error),
    });
    try {
      expect(await store.reserve([charge({ amount: 60 })])).toEqual({ ok: true });
      await own.stop();
      // The local count starts from nothing, and still holds the limit on its own.
      expect(await store.reserve([charge({ amount: 60 })])).toEqual({ ok: true });
      expect(await store.reserve([charge({ amount: 60 })])).toMatchObject({ ok: false, spent: 60 });
      expect(errors.length).toBeGreaterThan(0);
      await own.start();
      let answer: unknown;
      for (let tries = 0; tries < 100; tries++) {
        answer = await store.reserve([charge({ amount: 10 })]);
        if (errors.length > 0 && (await store.spent("key:a:tokens:day", 1000)) === 10) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(answer).toEqual({ ok: true });
    } finally {
      await store.close();
      await own.stop();
    }
  });
});
