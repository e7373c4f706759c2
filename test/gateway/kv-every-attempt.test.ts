/**
 * KV admission holds every attempt, not only a request's first pick: a hedge, a retry on another
 * backend and a broken stream's continuation each enter their own backend's gate and give their room
 * back when they settle. In-process upstreams hold each answer until the test lets it go; the gateway
 * is driven through `fastify.inject`. Nothing asserts a duration.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import {
  chatCompletion,
  errorAnswer,
  type FakeUpstream,
  startFakeUpstream,
} from "../helpers/fake-upstream.js";
import { eventually } from "../helpers/http.js";

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** What each upstream does with the next request; by default it holds the answer. */
const behaviour: Record<"a" | "b", Handler | undefined> = { a: undefined, b: undefined };
const held: Record<"a" | "b", ServerResponse[]> = { a: [], b: [] };
const upstreams: Partial<Record<"a" | "b", FakeUpstream>> = {};
const gateways: Gateway[] = [];

beforeAll(async () => {
  for (const name of ["a", "b"] as const) {
    upstreams[name] = await startFakeUpstream((request, response, body) => {
      const handler = behaviour[name];
      if (handler) handler(request, response, body);
      else held[name].push(response);
    });
  }
});

afterEach(async () => {
  for (const name of ["a", "b"] as const) {
    behaviour[name] = undefined;
    for (const response of held[name].splice(0)) if (!response.writableEnded) response.destroy();
  }
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

afterAll(async () => {
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
});

/** Round robin: the first request goes to `a`. 256 tokens of cache each: 4 blocks of 64 tokens. */
async function start(overrides: Record<string, unknown> = {}): Promise<Gateway> {
  const gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      request_timeout: 30,
      strategy: "round_robin",
      kv_admission: true,
      kv_cache_tokens: 256,
      backends: [
        { name: "a", url: upstreams.a!.url, models: ["m"] },
        { name: "b", url: upstreams.b!.url, models: ["m"] },
      ],
      ...overrides,
    }),
  );
  gateways.push(gateway);
  await gateway.app.ready();
  return gateway;
}

function chat(gateway: Gateway, maxTokens: number, options: { node?: string; stream?: boolean } = {}) {
  return gateway.app.inject({
    method: "POST",
    url: `/v1/chat/completions${options.node ? `?node=${options.node}` : ""}`,
    headers: options.stream ? { "x-switchyard-stream-resume": "true" } : {},
    payload: {
      model: "m",
      max_tokens: maxTokens,
      stream: options.stream === true,
      messages: [{ role: "user", content: "hi" }],
    },
  });
}

const running = (gateway: Gateway, backend: string) => gateway.context.kvGates.running(backend);

async function hedgeCount(gateway: Gateway, outcome: string): Promise<number> {
  const text = (await gateway.app.inject({ method: "GET", url: "/metrics" })).body;
  const match = new RegExp(`switchyard_hedges_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text);
  return match ? Number(match[1]) : 0;
}

function sseChunk(response: ServerResponse, content: string): void {
  const chunk = { id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content } }] };
  response.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

describe("KV admission on every attempt", () => {
  it("a hedge enters its backend's gate, and each attempt's room goes back when the race ends", async () => {
    const gateway = await start({ hedge_after: 0.05 });
    const answer = chat(gateway, 64);
    await eventually(() => held.b.length === 1);
    expect(held.a).toHaveLength(1);
    expect(running(gateway, "a")).toBe(1);
    expect(running(gateway, "b")).toBe(1);
    chatCompletion(held.b[0]!);
    const response = await answer;
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-routed-node"]).toBe("b");
    // The room goes back as the pipeline unwinds, just after the answer's last byte.
    await eventually(() => running(gateway, "a") === 0 && running(gateway, "b") === 0);
  });

  it("sends no hedge to a backend whose engine has no room for it now", async () => {
    // Least connections sends the request to a, the backend without the filler.
    const gateway = await start({ hedge_after: 0.05, strategy: "least_connections" });
    // b runs 3 decode blocks: the hedge's 2 would pass its 4-block budget.
    const filler = chat(gateway, 192, { node: "b" });
    await eventually(() => held.b.length === 1);
    // The filler's own hedge finds no other backend (it is pinned to b): the first no_backend.
    await eventually(async () => (await hedgeCount(gateway, "no_backend")) === 1);
    const answer = chat(gateway, 128);
    await eventually(() => held.a.length === 1);
    await eventually(async () => (await hedgeCount(gateway, "no_backend")) === 2);
    expect(held.b).toHaveLength(1);
    expect(gateway.context.kvGates.queued("b")).toBe(0);
    chatCompletion(held.a[0]!);
    expect((await answer).headers["x-routed-node"]).toBe("a");
    chatCompletion(held.b[0]!);
    expect((await filler).statusCode).toBe(200);
    await eventually(() => running(gateway, "b") === 0);
  });

  it("a retry on another backend enters that backend's gate after the failed attempt gave its room back", async () => {
    const gateway = await start({ max_retries: 1 });
    behaviour.a = (_request, response) => errorAnswer(response, 500);
    const answer = chat(gateway, 64);
    await eventually(() => held.b.length === 1);
    expect(running(gateway, "a")).toBe(0);
    expect(running(gateway, "b")).toBe(1);
    chatCompletion(held.b[0]!);
    expect((await answer).statusCode).toBe(200);
    await eventually(() => running(gateway, "b") === 0);
  });

  it("a stream's continuation enters the next backend's gate; the broken attempt's room goes first", async () => {
    const gateway = await start();
    behaviour.a = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      sseChunk(response, "Hel");
      // Cut mid-stream once the chunk is out.
      setImmediate(() => response.destroy());
    };
    const answer = chat(gateway, 128, { stream: true });
    await eventually(() => held.b.length === 1);
    expect(running(gateway, "a")).toBe(0);
    expect(running(gateway, "b")).toBe(1);
    const continuation = held.b[0]!;
    continuation.writeHead(200, { "content-type": "text/event-stream" });
    sseChunk(continuation, "lo");
    continuation.end("data: [DONE]\n\n");
    const response = await answer;
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('"Hel"');
    expect(response.body).toContain('"lo"');
    await eventually(() => running(gateway, "b") === 0);
  });
});
