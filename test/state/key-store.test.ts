/**
 * The runtime key stores: the memory store, Redis stores sharing one server as replicas do, and
 * `--workers` workers sharing their primary's (a key put by one is found by another at once, by
 * digest, before its announcement arrives; a deletion reaches the others; keys stay required once
 * any was made).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IpcKeyHost, IpcKeyStore } from "../../src/state/key-store/ipc.js";
import { KeyStoreUnavailableError } from "../../src/state/key-store/key-store.js";
import { MemoryKeyStore } from "../../src/state/key-store/memory.js";
import { RedisKeyStore } from "../../src/state/key-store/redis.js";
import { eventually } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace } from "../helpers/replicas.js";
import { loopback } from "./loopback.js";

const hasRedis = redisServerAvailable();
const key = (id: string, digest: string, extra: Record<string, unknown> = {}) => ({
  id,
  key_sha256: digest,
  ...extra,
});

describe("MemoryKeyStore", () => {
  it("finds keys by id and digest, forgets an old digest on replacement, and stays enabled", async () => {
    const store = new MemoryKeyStore();
    expect(store.enabled).toBe(false);
    await store.put(key("k1", "AA"));
    expect(store.findByDigest("aa")?.id).toBe("k1");
    await store.put(key("k1", "bb"));
    expect(store.findByDigest("aa")).toBeUndefined();
    expect(store.get("k1")?.key_sha256).toBe("bb");
    expect(await store.delete("k1")).toBe(true);
    expect(await store.delete("k1")).toBe(false);
    expect(store.size).toBe(0);
    expect(store.enabled).toBe(true);
  });
});

describe("IpcKeyStore", () => {
  const workerOf = async (host: IpcKeyHost, options: { callTimeoutMs?: number } = {}) => {
    const channel = loopback();
    host.serve(channel.primary);
    return { store: await IpcKeyStore.connect({ port: channel.worker, ...options }), channel };
  };

  it("finds a key put through another worker at once, and carries changes and deletions to every view", async () => {
    const host = new IpcKeyHost();
    const [{ store: a }, { store: b }] = await Promise.all([workerOf(host), workerOf(host)]);
    expect(a.kind).toBe("ipc");
    expect(b.enabled).toBe(false);
    await a.put(key("k1", "aa", { metadata: { team: "t" } }));
    // Asked of the primary when the view has not heard yet, then held.
    expect(await b.findByDigest("aa")).toMatchObject({ id: "k1", metadata: { team: "t" } });
    await eventually(() => b.get("k1")?.key_sha256 === "aa");
    expect(b.enabled).toBe(true);
    await a.put(key("k1", "bb"));
    await eventually(() => b.get("k1")?.key_sha256 === "bb");
    expect(await b.findByDigest("aa")).toBeUndefined();
    expect(await b.delete("k1")).toBe(true);
    await eventually(() => a.get("k1") === undefined);
    expect(await a.delete("k1")).toBe(false);
    expect([a.enabled, b.enabled]).toEqual([true, true]);
    await Promise.all([a.close(), b.close()]);
  });

  it("loads the primary's keys and its enabled mark when a worker starts after the changes", async () => {
    const host = new IpcKeyHost();
    const { store: first } = await workerOf(host);
    await first.put(key("k1", "aa"));
    await first.put(key("k2", "cc"));
    await first.delete("k2");
    const { store: late } = await workerOf(host);
    expect(late.list().map((each) => each.id)).toEqual(["k1"]);
    expect(late.enabled).toBe(true);
    await Promise.all([first.close(), late.close()]);
  });

  it("keeps answering from its view while the primary is gone, and refuses changes", async () => {
    const host = new IpcKeyHost();
    const { store, channel } = await workerOf(host, { callTimeoutMs: 50 });
    await store.put(key("k1", "aa"));
    channel.close();
    expect(await store.findByDigest("aa")).toMatchObject({ id: "k1" });
    expect(await store.findByDigest("ff")).toBeUndefined();
    await expect(store.put(key("k2", "bb"))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    await expect(store.delete("k1")).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    await store.close();
  });
});

describe.skipIf(!hasRedis)("RedisKeyStore", () => {
  let server: RedisServer;
  const stores: RedisKeyStore[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await server?.stop();
  });

  async function replicas(): Promise<[RedisKeyStore, RedisKeyStore]> {
    const namespace = randomNamespace();
    const pair = await Promise.all([0, 1].map(() => RedisKeyStore.connect({ url: server.url, namespace })));
    stores.push(...pair);
    return pair as [RedisKeyStore, RedisKeyStore];
  }

  it("finds a key put on another replica by its digest at once, then holds it in its view", async () => {
    const [a, b] = await replicas();
    await a.put(key("k1", "d1", { name: "one" }));
    const found = await b.findByDigest("d1");
    expect(found).toEqual({ id: "k1", key_sha256: "d1", name: "one" });
    expect(b.get("k1")).toEqual(found);
    expect(b.enabled).toBe(true);
  });

  it("carries changes and deletions to the other replica's view, and forgets a rotated digest", async () => {
    const [a, b] = await replicas();
    await a.put(key("k2", "old"));
    await eventually(() => b.get("k2") !== undefined);
    await a.put(key("k2", "new"));
    await eventually(() => b.get("k2")?.key_sha256 === "new");
    expect(await b.findByDigest("old")).toBeUndefined();
    expect(await b.delete("k2")).toBe(true);
    await eventually(() => a.get("k2") === undefined);
    expect(a.size).toBe(0);
    expect(a.enabled).toBe(true);
  });

  it("loads the keys and the enabled mark when it starts after the changes", async () => {
    const namespace = randomNamespace();
    const a = await RedisKeyStore.connect({ url: server.url, namespace });
    stores.push(a);
    await a.put(key("gone", "dg"));
    await a.delete("gone");
    const empty = await RedisKeyStore.connect({ url: server.url, namespace });
    stores.push(empty);
    expect(empty.size).toBe(0);
    expect(empty.enabled).toBe(true);
    await a.put(key("k4", "d4"));
    const later = await RedisKeyStore.connect({ url: server.url, namespace });
    stores.push(later);
    expect(later.get("k4")?.key_sha256).toBe("d4");
    const elsewhere = await RedisKeyStore.connect({ url: server.url, namespace: randomNamespace() });
    stores.push(elsewhere);
    expect(elsewhere.enabled).toBe(false);
  });

  it("keeps answering from its view while Redis is away, and refuses changes", async () => {
    const own = await startRedisServer();
    const store = await RedisKeyStore.connect({ url: own.url, commandTimeoutMs: 200, onError: () => {} });
    try {
      await store.put(key("k5", "d5"));
      await own.stop();
      expect(store.findByDigest("d5")).toMatchObject({ id: "k5" });
      expect(await store.findByDigest("unknown")).toBeUndefined();
      await expect(store.put(key("k6", "d6"))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    } finally {
      await store.close();
      await own.stop();
    }
  });
});
