/**
 * What the stored-response route tests share: a bare fastify app with the gateway's error reply and
 * the route plugin (no routing core), a Response object as OpenAI's spec describes it, and the
 * hand-written check of `ResponseItemList` (the spec subset in test/fixtures leaves it out).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { expect } from "vitest";
import { sendError } from "../../../src/gateway/error-reply.js";
import {
  type ResponseStoreRouteOptions,
  type ResponseStoreSource,
  responseStoreRoutes,
} from "../../../src/gateway/routes/response-store.js";
import type { StoredResponse } from "../../../src/state/response-store/response-store.js";

export async function storeApp(
  source: ResponseStoreSource,
  options: ResponseStoreRouteOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  await app.register(responseStoreRoutes(source, options));
  await app.ready();
  return app;
}

export function responseObject(id: string): Record<string, unknown> {
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: null,
    model: "mock-model",
    tools: [],
    output: [
      {
        type: "message",
        id: `msg_out_${id}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "hello", annotations: [], logprobs: [] }],
      },
    ],
    parallel_tool_calls: true,
    metadata: {},
    tool_choice: "auto",
    temperature: null,
    top_p: null,
  };
}

export function inputItem(n: number): Record<string, unknown> {
  return {
    id: `msg_${String(n).padStart(3, "0")}`,
    type: "message",
    role: "user",
    status: "completed",
    content: [{ type: "input_text", text: `turn ${n}` }],
  };
}

export function storedResponse(id: string, items: number): StoredResponse {
  return {
    id,
    response: responseObject(id),
    input: Array.from({ length: items }, (_, index) => inputItem(index + 1)),
    createdAt: 1_700_000_000_000,
  };
}

interface ItemList {
  object: string;
  data: { id: string }[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** OpenAI's `ResponseItemList`, checked by hand; returns the page's item ids. */
export function expectItemList(body: unknown): string[] {
  const list = body as ItemList;
  expect(Object.keys(list).sort()).toEqual(["data", "first_id", "has_more", "last_id", "object"]);
  expect(list.object).toBe("list");
  expect(Array.isArray(list.data)).toBe(true);
  expect(typeof list.has_more).toBe("boolean");
  const ids = list.data.map((item) => item.id);
  for (const id of ids) expect(typeof id).toBe("string");
  expect(list.first_id).toBe(ids[0] ?? null);
  expect(list.last_id).toBe(ids.at(-1) ?? null);
  return ids;
}
