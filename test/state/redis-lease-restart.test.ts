/**
 * Global caps across a Redis outage and restart, with a real `redis-server` and the stores' clock
 * driven by hand: while Redis is away each replica keeps to the share of the cap it held, after
 * the restart each puts back the leases of its running requests and drops its own stale ones, and
 * it keeps to its share until every replica has had time to do the same.
 */
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../../src/state/redis.js";
import type { Lease } from "../../src/state/store.js";
import { eventually } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { manualClock } from "./conformance.js";

const hasRedis = redisServerAvailable();
const TTL = 60_000;
const SETTLE = 5_000;

describe.skipIf(!hasRedis)("leases across a Redis restart", () => {
  let server: RedisServer;
  const stores: RedisStore[] = [];
  let namespace = "";
  const clock = manualClock();

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    if (!server.running) await server.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function replicas(count: number, commandTimeoutMs?: number): Promise<RedisStore[]> {
    namespace = `lease-${randomBytes(6).toString("hex")}`;
    const opened = await Promise.all(
      Array.from({ length: count }, () =>
        RedisStore.connect({
          url: server.url,
          namespace,
          now: clock.now,
          settleMs: SETTLE,
          onError: () => {},
          ...(commandTimeoutMs ? { commandTimeoutMs } : {}),
        }),
      ),
    );
    stores.push(...opened);
    // Past the replica count's refresh, so the first acquires learn how many replicas there are.
    await clock.advance(1_000);
    return opened;
  }

  async function take(store: RedisStore, count: number): Promise<Lease[]> {
    const leases: Lease[] = [];
    for (let i = 0; i < count; i++) {
      const lease = await store.acquire("gpu", 4, TTL);
      if (!lease) throw new Error(`lease ${i + 1} of ${count} refused`);
      leases.push(lease);
    }
    return leases;
  }

  async function granted(store: RedisStore, tries: number): Promise<number> {
    const leases = await Promise.all(Array.from({ length: tries }, () => store.acquire("gpu", 4, TTL)));
    return leases.filter((lease) => lease !== undefined).length;
  }

  const online = (list: RedisStore[]) => eventually(() => list.every((s) => s.status() === "ok"), 5_000, 10);
  const offline = (list: RedisStore[]) =>
    eventually(() => list.every((s) => s.status() === "degraded"), 5_000, 10);

  it("keeps each replica to the share it held while Redis is away, then to the whole cap after a lease's life", async () => {
    const [a, b, c] = await replicas(3);
    const held = await take(a!, 3);
    await take(b!, 1);
    await server.stop();
    await offline([a!, b!, c!]);

    expect(await granted(a!, 4)).toBe(0);
    expect(await granted(b!, 4)).toBe(0);
    expect(await granted(c!, 4)).toBe(0); // it held none
    await held[0]!.release();
    expect(await granted(a!, 4)).toBe(1); // its own finished request, replaced

    await clock.advance(TTL);
    expect(await granted(c!, 6)).toBe(4);
  });

  it("puts running requests back after a restart that lost everything, and keeps to the shares while settling", async () => {
    const [a, b] = await replicas(2);
    await take(a!, 3);
    const fromB = await take(b!, 1);
    await server.stop();
    await offline([a!, b!]);
    await fromB[0]!.release(); // queued
    const during = await take(b!, 1); // within B's share
    await server.start(); // empty
    await online([a!, b!]);

    expect(await a!.inflight("gpu")).toBe(4);
    // While settling neither replica takes more than its share, even if Redis had room.
    await during[0]!.release();
    expect(await a!.inflight("gpu")).toBe(3);
    expect(await granted(a!, 2)).toBe(0);
    expect(await granted(b!, 2)).toBe(1);
    await clock.advance(SETTLE);
    // Settled: Redis's count alone decides, and the cap is full.
    expect(await a!.inflight("gpu")).toBe(4);
    expect(await granted(a!, 2)).toBe(0);
  });

  it("counts in its share a release Redis never confirmed (a server that stopped answering)", async () => {
    const [a, b] = await replicas(2, 300);
    const [first] = await take(a!, 2);
    await take(b!, 2);
    server.freeze();
    try {
      // The removal hangs until the link gives up: for all A knows, Redis still counts the lease.
      await first!.release();
      await offline([a!]);
      expect(await granted(a!, 4)).toBe(1);
    } finally {
      server.thaw();
    }
  });

  it("lets the only replica keep the whole cap while Redis is away", async () => {
    const [alone] = await replicas(1);
    await take(alone!, 1);
    await server.stop();
    await offline([alone!]);
    expect(await granted(alone!, 4)).toBe(3);
  });

  it("drops its own leases that Redis kept though their requests are over", async () => {
    const [a, b] = await replicas(2);
    const [lease] = await take(a!, 1);
    await take(b!, 1);
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      const key = `switchyard:${namespace}:lease:gpu`;
      const members = await raw.zRange(key, 0, -1);
      const ownPrefix = (lease as unknown as { id: string }).id.replace(/[^-]+$/, "");
      expect(members.filter((member) => member.startsWith(ownPrefix))).toHaveLength(1);
      // As a stale snapshot or a late write would leave them: A's finished leases, still counted.
      const expiry = clock.now() + TTL;
      await raw.zAdd(key, [
        { score: expiry, value: `${ownPrefix}stale1` },
        { score: expiry, value: `${ownPrefix}stale2` },
      ]);
      expect(await b!.inflight("gpu")).toBe(4);
      // A reconnection (its connections cut) makes A rewrite its part of the set.
      await raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
      await eventually(async () => (await b!.inflight("gpu")) === 2, 5_000, 10);
      expect(await raw.zRange(key, 0, -1)).toHaveLength(2);
    } finally {
      await raw.quit().catch(() => {});
    }
  });
});
