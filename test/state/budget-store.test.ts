/**
 * The budget stores: memory and Redis count the same way, and racing reservations from several
 * stores sharing one Redis never pass a limit.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BudgetCharge, BudgetStore } from "../../src/state/budget-store/budget-store.js";
import { MemoryBudgetStore } from "../../src/state/budget-store/memory.js";
import { RedisBudgetStore } from "../../src/state/budget-store/redis.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";

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
});
