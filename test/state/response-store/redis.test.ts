import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResponseStore } from "../../../src/state/response-store/factory.js";
import { RedisResponseStore } from "../../../src/state/response-store/redis.js";
import { ResponseStoreUnavailableError } from "../../../src/state/response-store/response-store.js";
import { eventually } from "../../helpers/http.js";
import {
  freePort,
  type RedisServer,
  redisServerAvailable,
  startRedisServer,
} from "../../helpers/redis-server.js";
import { manualClock } from "../conformance.js";
import { entry, LIMITS, runResponseStoreConformance } from "./conformance.js";

const hasRedis = redisServerAvailable();

function namespace(): string {
  return `test-${randomBytes(6).toString("hex")}`;
}

describe.skipIf(!hasRedis)("RedisResponseStore", () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  runResponseStoreConformance("redis", async (limits) => {
    const errors: unknown[] = [];
    const clock = manualClock();
    const store = await RedisResponseStore.connect({
      ...limits,
      url: server.url,
      namespace: namespace(),
      now: clock.now,
      onError: (error) => errors.push(error),
    });
    return {
      store,
      clock,
      cleanup: async () => {
        await store.close();
        expect(errors).toEqual([]);
      },
    };
  });

  it("is shared by two replicas: one puts, the other reads, pages and deletes", async () => {
    const clock = manualClock();
    const settings = {
      redis: server.url,
      redis_namespace: namespace(),
      response_store_max_entries: 2,
      response_store_max_bytes: LIMITS.maxBytes,
      response_store_max_entry_bytes: LIMITS.maxEntryBytes,
      response_store_ttl: 60,
    };
    const [a, b] = await Promise.all([
      createResponseStore(settings, { now: clock.now }),
      createResponseStore(settings, { now: clock.now }),
    ]);
    try {
      expect([a.kind, b.kind]).toEqual(["redis", "redis"]);
      const first = entry("resp_1", 0, [{ id: "msg_1" }]);
      await a.put(first);
      expect(await b.get("resp_1")).toEqual(first);
      // The count bound is one for the fleet: B's two puts evict A's entry.
      await clock.advance(1);
      await b.put(entry("resp_2"));
      await clock.advance(1);
      await b.put(entry("resp_3"));
      expect(await a.get("resp_1")).toBeUndefined();
      expect(await a.stats()).toEqual(await b.stats());
      expect(await a.delete("resp_2")).toBe(true);
      expect(await b.get("resp_2")).toBeUndefined();
      await clock.advance(60_000);
      expect(await b.get("resp_3")).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("rejects as unavailable while Redis is down, and works again once it is back", async () => {
    const outage = await startRedisServer();
    const errors: unknown[] = [];
    const store = await RedisResponseStore.connect({
      ...LIMITS,
      url: outage.url,
      commandTimeoutMs: 300,
      onError: (error) => errors.push(error),
    });
    try {
      await store.put(entry("resp_1"));
      await outage.stop();
      await expect(store.get("resp_1")).rejects.toBeInstanceOf(ResponseStoreUnavailableError);
      await expect(store.put(entry("resp_2"))).rejects.toBeInstanceOf(ResponseStoreUnavailableError);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      await outage.start(); // empty: no persistence
      await eventually(
        async () => (await store.put(entry("resp_3")).catch(() => "down")) === "stored",
        5_000,
        20,
      );
      expect(await store.get("resp_1")).toBeUndefined();
      expect(await store.get("resp_3")).toBeDefined();
    } finally {
      await store.close();
      await outage.stop();
    }
  });

  it("starts without Redis, answering unavailable, and closes promptly", async () => {
    const store = await RedisResponseStore.connect({
      ...LIMITS,
      url: `redis://127.0.0.1:${await freePort()}`,
      connectWaitMs: 50,
      onError: () => {},
    });
    await expect(store.get("resp_1")).rejects.toBeInstanceOf(ResponseStoreUnavailableError);
    const started = performance.now();
    await store.close();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("createResponseStore", () => {
  it("keeps responses in memory without Redis", async () => {
    const store = await createResponseStore({
      response_store_max_entries: 1,
      response_store_max_bytes: 10_000,
      response_store_max_entry_bytes: 10_000,
      response_store_ttl: 1,
    });
    expect(store.kind).toBe("memory");
    await store.put(entry("resp_1"));
    await store.put(entry("resp_2"));
    expect(await store.stats()).toMatchObject({ entries: 1 });
    await store.close();
  });
});
