/** `GET /v1/responses/{id}`, `GET …/input_items` and `DELETE /v1/responses/{id}` on a bare app. */
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/gateway/errors.js";
import { MemoryResponseStore } from "../../../src/state/response-store/memory.js";
import {
  type ResponseStore,
  ResponseStoreUnavailableError,
} from "../../../src/state/response-store/response-store.js";
import { expectOpenAISchema } from "../../helpers/openapi.js";
import {
  expectItemList,
  inputItem,
  responseObject,
  storeApp,
  storedResponse,
} from "./response-store-fixtures.js";

const LIMITS = { maxEntries: 100, maxBytes: 10_000_000, maxEntryBytes: 1_000_000, ttlMs: 60_000 };

let store: MemoryResponseStore;
let app: FastifyInstance;

beforeEach(async () => {
  store = new MemoryResponseStore(LIMITS);
  app = await storeApp(store);
});

afterEach(async () => {
  await app.close();
  await store.close();
});

function ids(from: number, to: number): string[] {
  const step = from <= to ? 1 : -1;
  return Array.from(
    { length: Math.abs(to - from) + 1 },
    (_, index) => inputItem(from + index * step).id as string,
  );
}

async function get(url: string) {
  const response = await app.inject({ method: "GET", url });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

function expectError(answer: { status: number; body: unknown }, status: number, code: string, param: string) {
  expect(answer.status).toBe(status);
  expectOpenAISchema("ErrorResponse", answer.body);
  expect((answer.body as { error: unknown }).error).toMatchObject({ code, param });
}

describe("GET /v1/responses/{id}", () => {
  it("answers the stored Response object as it was returned", async () => {
    await store.put(storedResponse("resp_1", 2));
    const answer = await get("/v1/responses/resp_1");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(responseObject("resp_1"));
    expectOpenAISchema("Response", answer.body);
  });

  it("is 404 in OpenAI's shape, naming response_id, for an id it does not hold", async () => {
    const answer = await get("/v1/responses/resp_missing");
    expectError(answer, 404, "response_not_found", "response_id");
    expect((answer.body as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });
});

describe("GET /v1/responses/{id}/input_items", () => {
  beforeEach(async () => {
    await store.put(storedResponse("resp_25", 25));
  });

  it("lists the newest 20 first by default, then the rest after the last id", async () => {
    const first = await get("/v1/responses/resp_25/input_items");
    expect(first.status).toBe(200);
    expect(expectItemList(first.body)).toEqual(ids(25, 6));
    expect(first.body.has_more).toBe(true);
    expect((first.body.data as unknown[])[0]).toEqual(inputItem(25));
    const rest = await get(`/v1/responses/resp_25/input_items?after=${first.body.last_id}`);
    expect(expectItemList(rest.body)).toEqual(ids(5, 1));
    expect(rest.body.has_more).toBe(false);
  });

  it("pages oldest first with order=asc and a limit", async () => {
    const page = await get("/v1/responses/resp_25/input_items?order=asc&limit=10&after=msg_010");
    expect(expectItemList(page.body)).toEqual(ids(11, 20));
    expect(page.body.has_more).toBe(true);
    const last = await get("/v1/responses/resp_25/input_items?order=asc&limit=100&after=msg_020");
    expect(expectItemList(last.body)).toEqual(ids(21, 25));
    expect(last.body.has_more).toBe(false);
  });

  it("answers an empty page after the last item", async () => {
    const page = await get("/v1/responses/resp_25/input_items?after=msg_001");
    expect(expectItemList(page.body)).toEqual([]);
    expect(page.body).toMatchObject({ first_id: null, last_id: null, has_more: false });
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=2.5", "limit"],
    ["limit=ten", "limit"],
    ["order=newest", "order"],
    ["after=msg_unknown", "after"],
  ])("is 400 naming the parameter for %s", async (query, param) => {
    expectError(await get(`/v1/responses/resp_25/input_items?${query}`), 400, "invalid_request", param);
  });

  it("is 404 for an id it does not hold", async () => {
    expectError(
      await get("/v1/responses/resp_missing/input_items"),
      404,
      "response_not_found",
      "response_id",
    );
  });
});

describe("DELETE /v1/responses/{id}", () => {
  it("deletes, answering OpenAI's deletion object; then the id is 404 everywhere", async () => {
    await store.put(storedResponse("resp_1", 1));
    const deleted = await app.inject({ method: "DELETE", url: "/v1/responses/resp_1" });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ id: "resp_1", object: "response", deleted: true });
    expectError(await get("/v1/responses/resp_1"), 404, "response_not_found", "response_id");
    expectError(await get("/v1/responses/resp_1/input_items"), 404, "response_not_found", "response_id");
    const again = await app.inject({ method: "DELETE", url: "/v1/responses/resp_1" });
    expectError({ status: again.statusCode, body: again.json() }, 404, "response_not_found", "response_id");
  });
});

describe("the routes' store", () => {
  it("answers 503 response_store_unavailable when the store cannot be reached", async () => {
    const unreachable = async () => {
      throw new ResponseStoreUnavailableError("down");
    };
    const down: ResponseStore = {
      kind: "redis",
      get: unreachable,
      put: unreachable,
      delete: unreachable,
      stats: unreachable,
      close: async () => {},
    };
    const downApp = await storeApp(down);
    try {
      for (const [method, url] of [
        ["GET", "/v1/responses/resp_1"],
        ["GET", "/v1/responses/resp_1/input_items"],
        ["DELETE", "/v1/responses/resp_1"],
      ] as const) {
        const response = await downApp.inject({ method, url });
        expect(response.statusCode).toBe(503);
        expectOpenAISchema("ErrorResponse", response.json());
        expect(response.json().error).toMatchObject({
          code: "response_store_unavailable",
          type: "server_error",
        });
      }
    } finally {
      await downApp.close();
    }
  });

  it("reads the store from a getter on every request, and runs the given preHandler first", async () => {
    let current: ResponseStore = store;
    let admitted = true;
    const gated = await storeApp(() => current, {
      preHandler: (_request, _reply, done) =>
        done(admitted ? undefined : new GatewayError("SWY_ERR_CLIENT_KEY_MISSING")),
    });
    try {
      await store.put(storedResponse("resp_1", 1));
      expect((await gated.inject({ url: "/v1/responses/resp_1" })).statusCode).toBe(200);
      current = new MemoryResponseStore(LIMITS);
      expect((await gated.inject({ url: "/v1/responses/resp_1" })).statusCode).toBe(404);
      admitted = false;
      const refused = await gated.inject({ method: "DELETE", url: "/v1/responses/resp_1" });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe("missing_api_key");
    } finally {
      await gated.close();
    }
  });
});
