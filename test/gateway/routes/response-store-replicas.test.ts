/**
 * Two gateway-like apps, each with its own Redis response store on one real `redis-server`: what
 * one replica stores, the other reads, pages, continues and deletes.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResponseStore } from "../../../src/state/response-store/factory.js";
import {
  conversationOf,
  type ResponseStore,
  type StoredResponse,
} from "../../../src/state/response-store/response-store.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../../helpers/redis-server.js";
import { expectItemList, responseObject, storeApp, storedResponse } from "./response-store-fixtures.js";

const hasRedis = redisServerAvailable();

interface Replica {
  store: ResponseStore;
  app: FastifyInstance;
}

describe.skipIf(!hasRedis)("stored responses across two replicas sharing Redis", () => {
  let server: RedisServer;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    server = await startRedisServer();
    const settings = {
      redis: server.url,
      redis_namespace: `test-${randomBytes(6).toString("hex")}`,
      response_store_max_entries: 100,
      response_store_max_bytes: 10_000_000,
      response_store_max_entry_bytes: 1_000_000,
      response_store_ttl: 60,
    };
    const replica = async (): Promise<Replica> => {
      const store = await createResponseStore(settings);
      return { store, app: await storeApp(store) };
    };
    [a, b] = await Promise.all([replica(), replica()]);
  });

  afterAll(async () => {
    for (const replica of [a, b]) {
      await replica?.app.close();
      await replica?.store.close();
    }
    await server?.stop();
  });

  it("reads on B what A stored, and a delete on B is seen by A", async () => {
    expect(await a.store.put(storedResponse("resp_ab", 3))).toBe("stored");
    const read = await b.app.inject({ url: "/v1/responses/resp_ab" });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(responseObject("resp_ab"));
    const items = await b.app.inject({ url: "/v1/responses/resp_ab/input_items?order=asc" });
    expect(expectItemList(items.json())).toEqual(["msg_001", "msg_002", "msg_003"]);
    const deleted = await b.app.inject({ method: "DELETE", url: "/v1/responses/resp_ab" });
    expect(deleted.json()).toEqual({ id: "resp_ab", object: "response", deleted: true });
    expect((await a.app.inject({ url: "/v1/responses/resp_ab" })).statusCode).toBe(404);
  });

  it("continues a chain on the other replica, and a branch from an earlier turn does not see later ones", async () => {
    const first = storedResponse("resp_t1", 1);
    await a.store.put(first);
    // Turn 2 on B: the conversation so far, then this request's input.
    const previous = (await b.store.get("resp_t1")) as StoredResponse;
    const second: StoredResponse = {
      ...storedResponse("resp_t2", 0),
      input: [...conversationOf(previous), { id: "msg_t2", type: "message", role: "user", content: [] }],
    };
    await b.store.put(second);
    // A branch from turn 1, on A.
    const branch: StoredResponse = {
      ...storedResponse("resp_t2b", 0),
      input: [...conversationOf((await a.store.get("resp_t1")) as StoredResponse), { id: "msg_t2b" }],
    };
    await a.store.put(branch);

    const chain = await a.app.inject({ url: "/v1/responses/resp_t2/input_items?order=asc" });
    expect(expectItemList(chain.json())).toEqual(["msg_001", "msg_out_resp_t1", "msg_t2"]);
    const branched = await b.app.inject({ url: "/v1/responses/resp_t2b/input_items?order=asc" });
    expect(expectItemList(branched.json())).toEqual(["msg_001", "msg_out_resp_t1", "msg_t2b"]);
    expect(await b.store.get("resp_t1")).toEqual(first);
  });
});
