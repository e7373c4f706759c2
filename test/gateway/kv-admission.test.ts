/**
 * KV admission through `fastify.inject`, in front of an in-process upstream that holds each answer
 * until the test lets it go: a request whose decode would overflow the engine's configured KV
 * capacity waits in the gateway while another runs, goes upstream once that one ends, and a request
 * beyond the queue's bound is shed with 429 `kv_shed` and Retry-After. Nothing asserts a duration.
 */
import type { ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { kvCapacityFor, kvDecodeTokens } from "../../src/gateway/kv-admission-step.js";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";
import { eventually } from "../helpers/http.js";

let upstream: FakeUpstream;
/** Answers the upstream holds, in arrival order. */
const held: ServerResponse[] = [];
const gateways: Gateway[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream((_request, response) => held.push(response));
});

afterEach(async () => {
  for (const response of held.splice(0)) chatCompletion(response);
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

afterAll(async () => {
  await upstream.close();
});

/** 64 tokens per block (256 characters ÷ 4): a 256-token cache is 4 blocks. */
async function start(overrides: Record<string, unknown> = {}): Promise<Gateway> {
  const gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      request_timeout: 30,
      max_retries: 0,
      kv_admission: true,
      kv_cache_tokens_map: { engine: 256 },
      queue_size: 1,
      backends: [{ name: "engine", url: upstream.url, models: ["m"] }],
      ...overrides,
    }),
  );
  gateways.push(gateway);
  await gateway.app.ready();
  return gateway;
}

/** A short prompt (no full block) whose answer may take `maxTokens` of the engine's cache. */
function chat(gateway: Gateway, maxTokens: number, path = "/v1/chat/completions") {
  return gateway.app.inject({
    method: "POST",
    url: path,
    headers: path === "/v1/messages" ? { "anthropic-version": "2023-06-01" } : {},
    payload: { model: "m", max_tokens: maxTokens, messages: [{ role: "user", content: "hi" }] },
  });
}

describe("KV admission in the gateway", () => {
  it("holds a request while the engine's working set is full and releases it when the running one ends", async () => {
    const gateway = await start();
    const hitsBefore = upstream.hits;
    // 2 decode blocks run; 3 more would pass the 4-block budget.
    const first = chat(gateway, 128);
    await eventually(() => held.length === 1);
    const second = chat(gateway, 192);
    await eventually(() => gateway.context.kvGates.queued("engine") === 1);
    expect(upstream.hits - hitsBefore).toBe(1);

    chatCompletion(held.shift()!);
    expect((await first).statusCode).toBe(200);
    await eventually(() => held.length === 1);
    expect(gateway.context.kvGates.queued("engine")).toBe(0);
    chatCompletion(held.shift()!);
    expect((await second).statusCode).toBe(200);
    expect(gateway.context.kvGates.running("engine")).toBe(0);
  });

  it("sheds a request beyond the queue's bound with 429 kv_shed and Retry-After, in each protocol", async () => {
    const gateway = await start();
    const first = chat(gateway, 128);
    await eventually(() => held.length === 1);
    const second = chat(gateway, 192);
    await eventually(() => gateway.context.kvGates.queued("engine") === 1);

    const shed = await chat(gateway, 192);
    expect(shed.statusCode).toBe(429);
    expect(shed.json().error.code).toBe("kv_shed");
    expect(shed.json().error.type).toBe("rate_limit_error");
    expect(Number(shed.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    const anthropic = await chat(gateway, 192, "/v1/messages");
    expect(anthropic.statusCode).toBe(429);
    expect(anthropic.json().type).toBe("error");
    expect(anthropic.json().error.type).toBe("rate_limit_error");

    chatCompletion(held.shift()!);
    expect((await first).statusCode).toBe(200);
    await eventually(() => held.length === 1);
    chatCompletion(held.shift()!);
    expect((await second).statusCode).toBe(200);
  });

  it("sheds a request that waited queue_timeout for room", async () => {
    const gateway = await start({ queue_timeout: 0.05 });
    const first = chat(gateway, 128);
    await eventually(() => held.length === 1);
    const late = await chat(gateway, 192);
    expect(late.statusCode).toBe(429);
    expect(late.json().error.code).toBe("kv_shed");
    expect(gateway.context.kvGates.queued("engine")).toBe(0);
    chatCompletion(held.shift()!);
    expect((await first).statusCode).toBe(200);
  });

  it("lets everything through while kv_admission is off (the default)", async () => {
    const gateway = await start({ kv_admission: undefined });
    const first = chat(gateway, 128);
    const second = chat(gateway, 192);
    await eventually(() => held.length === 2);
    for (const response of held.splice(0)) chatCompletion(response);
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
  });

  it("finds a backend's capacity by name, then host:port, then the default", () => {
    const backend = { id: "a", url: "http://10.0.0.1:8000" };
    const config = { kv_cache_tokens: 7, kv_cache_tokens_map: { a: 1, "10.0.0.1:8000": 2 } };
    expect(kvCapacityFor(config, backend)).toBe(1);
    expect(kvCapacityFor({ ...config, kv_cache_tokens_map: { "10.0.0.1:8000": 2 } }, backend)).toBe(2);
    expect(kvCapacityFor({ ...config, kv_cache_tokens_map: {} }, backend)).toBe(7);
    expect(
      kvCapacityFor({ ...config, kv_cache_tokens_map: {} }, { id: "constructor", url: backend.url }),
    ).toBe(7);
  });

  it("falls back on the capacity the engine states, which any configured one overrides", () => {
    const backend = { id: "a", url: "http://10.0.0.1:8000", engineKvTokens: 5 };
    const unset = { kv_cache_tokens: 0, kv_cache_tokens_map: {} };
    expect(kvCapacityFor(unset, backend)).toBe(5);
    expect(kvCapacityFor(unset, { ...backend, engineKvTokens: undefined })).toBe(0);
    expect(kvCapacityFor({ ...unset, kv_cache_tokens: 7 }, backend)).toBe(7);
    // An explicit 0 for one backend turns its gate off whatever the engine says.
    expect(kvCapacityFor({ ...unset, kv_cache_tokens_map: { a: 0 } }, backend)).toBe(0);
  });

  it("counts a turn's decode as its max_tokens, at most a typical answer's however high the limit", () => {
    expect(kvDecodeTokens({ max_tokens: 100 })).toBe(100);
    expect(kvDecodeTokens({ max_tokens: 32_000 })).toBe(512);
    expect(kvDecodeTokens({ messages: [] })).toBe(512);
  });
});
