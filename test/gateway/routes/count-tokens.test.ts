/**
 * `count_tokens` through `fastify.inject`, in front of in-process upstreams: client keys apply as on
 * inference routes, a served model always gets a count (backend down, failing, or without a
 * tokenizer), an engine without a tokenizer is not asked again at once, and an untranslatable
 * request is an Anthropic 400.
 */
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../../src/gateway/app.js";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.js";

const upstreams: Record<string, FakeUpstream> = {};
const tokenizeCalls: Record<string, number> = { plain: 0, down: 0 };
let gateway: Gateway;

beforeAll(async () => {
  upstreams.plain = await startFakeUpstream((request, response) => {
    if (request.url === "/tokenize") tokenizeCalls.plain!++;
    response.writeHead(404).end();
  });
  upstreams.failing = await startFakeUpstream((_request, response) => {
    response.writeHead(503, { "content-type": "application/json" }).end('{"type":"error"}');
  });
  upstreams.down = await startFakeUpstream((_request, response) => {
    tokenizeCalls.down!++;
    response.writeHead(200, { "content-type": "application/json" }).end('{"count":9}');
  });
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      client_keys: [
        { name: "team", key: "sk-team-key" },
        { name: "narrow", key: "sk-narrow-key", models: ["m-plain"] },
      ],
      backends: [
        { name: "plain", url: upstreams.plain.url, models: ["m-plain"] },
        { name: "failing", url: upstreams.failing.url, models: ["m-failing"], kind: "anthropic" },
        { name: "down", url: upstreams.down.url, models: ["m-down"] },
      ],
    }),
  );
  await gateway.app.ready();
  gateway.context.registry.get("down")!.healthy = false;
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
});

function count(model: string, headers: Record<string, string> = { "x-api-key": "sk-team-key" }, extra = {}) {
  const options: InjectOptions = {
    method: "POST",
    url: "/v1/messages/count_tokens?beta=true",
    headers: { "anthropic-version": "2023-06-01", ...headers },
    payload: { model, messages: [{ role: "user", content: "a".repeat(40) }], ...extra },
  };
  return gateway.app.inject(options);
}

describe("count_tokens", () => {
  it("needs a gateway key, and one that may use the model, answering in Anthropic's shape", async () => {
    const missing = await count("m-plain", {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const narrow = await count("m-failing", { "x-api-key": "sk-narrow-key" });
    expect(narrow.statusCode).toBe(403);
    expect(narrow.json()).toMatchObject({ type: "error", error: { type: "permission_error" } });
  });

  it.each([
    ["an engine without a tokenizer", "m-plain"],
    ["an Anthropic backend that fails", "m-failing"],
    ["a model whose only backend is down", "m-down"],
  ])("estimates for %s", async (_name, model) => {
    const answer = await count(model);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["x-switchyard-token-count"]).toBe("estimate");
    expect(answer.json()).toEqual({ input_tokens: 10 + 4 });
  });

  it("leaves an engine without a tokenizer alone for a while, and never asks a backend that is down", async () => {
    const before = tokenizeCalls.plain!;
    await count("m-plain");
    await count("m-plain");
    expect(tokenizeCalls.plain).toBe(before);
    expect(tokenizeCalls.down).toBe(0);
  });

  it("refuses what the Messages request itself would be refused for, on an OpenAI-kind backend", async () => {
    const refused = await count("m-plain", undefined, {
      tools: [{ type: "web_search_20250305", name: "web_search" }],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("counts under its own route name in the request metrics", async () => {
    const metrics = await gateway.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(/switchyard_requests_total\{route="count_tokens",model="m-plain"/);
  });
});
