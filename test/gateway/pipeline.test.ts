/**
 * The request path through `fastify.inject`, in front of in-process upstreams: what is retried,
 * how a backend's Retry-After reaches the client and the next choice of backend, and that answers
 * the gateway makes itself are counted like relayed ones.
 */
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import {
  chatCompletion,
  errorAnswer,
  type FakeUpstream,
  startFakeUpstream,
} from "../helpers/fake-upstream.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

const upstreams: Record<string, FakeUpstream> = {};
let gateway: Gateway;
let keyed: Gateway;

const common = {
  port: 0,
  log_level: "silent",
  health_interval: 0,
  load_interval: 0,
  circuit_breaker_threshold: 0,
  request_timeout: 5,
  max_retries: 1,
  strategy: "round_robin",
};

beforeAll(async () => {
  const statuses: Record<string, () => Parameters<typeof startFakeUpstream>[0]> = {
    ok: () => (_req, res) => chatCompletion(res),
    timeout408: () => (_req, res) => errorAnswer(res, 408),
    busy7: () => (_req, res) => errorAnswer(res, 429, { "retry-after": "7" }),
    busy3: () => (_req, res) => errorAnswer(res, 429, { "retry-after": "3" }),
    busy30: () => (_req, res) => errorAnswer(res, 429, { "retry-after": "30" }),
    down20: () => (_req, res) => errorAnswer(res, 503, { "retry-after": "20" }),
    unhealthy: () => (_req, res) => chatCompletion(res),
  };
  for (const [name, handler] of Object.entries(statuses))
    upstreams[name] = await startFakeUpstream(handler());
  const url = (name: string) => upstreams[name]!.url;
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      ...common,
      backends: [
        { name: "timeout408", url: url("timeout408"), models: ["m-408"] },
        { name: "ok", url: url("ok"), models: ["m-408", "m-ok"] },
        { name: "busy7", url: url("busy7"), models: ["m-429"] },
        { name: "busy3", url: url("busy3"), models: ["m-429"] },
        { name: "down20", url: url("down20"), models: ["m-503"] },
        { name: "busy30", url: url("busy30"), models: ["m-503"] },
        { name: "unhealthy", url: url("unhealthy"), models: ["m-down"] },
      ],
    }),
  );
  keyed = buildGateway(
    gatewayConfigSchema.parse({
      ...common,
      client_keys: [{ name: "team", key: "sk-team-key" }],
      backends: [{ name: "ok", url: url("ok"), models: ["m-ok"] }],
    }),
  );
  await Promise.all([gateway.app.ready(), keyed.app.ready()]);
  gateway.context.registry.get("unhealthy")!.healthy = false;
});

afterAll(async () => {
  await Promise.all([gateway?.close(), keyed?.close()]);
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
});

function chat(target: Gateway, model: string, options: Partial<InjectOptions> = {}) {
  return target.app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    payload: { model, messages: [{ role: "user", content: "hi" }] },
    ...options,
  });
}

async function metrics(target: Gateway) {
  return parsePrometheusText((await target.app.inject({ url: "/metrics" })).body);
}

describe("the request path", () => {
  it("retries a backend's 408 on another backend", async () => {
    // Round robin: of two requests, one starts on the backend that answers 408.
    const answers = await Promise.all([chat(gateway, "m-408"), chat(gateway, "m-408")]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(upstreams.timeout408!.hits).toBe(1);
    const samples = await metrics(gateway);
    expect(sumSamples(samples, "switchyard_upstream_failures_total", { backend: "timeout408" })).toBe(1);
  });

  it("answers 429 with the soonest Retry-After when every backend is rate limited, then passes them by", async () => {
    const answer = await chat(gateway, "m-429");
    expect(answer.statusCode).toBe(429);
    expect(answer.headers["retry-after"]).toBe("3");
    expect(answer.json()).toMatchObject({ error: { code: "capacity_exceeded" } });
    const hits = upstreams.busy7!.hits + upstreams.busy3!.hits;
    expect(hits).toBe(2);

    // Both said when to come back: until then the gateway answers for them.
    const again = await chat(gateway, "m-429");
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(again.headers["retry-after"])).toBeLessThanOrEqual(3);
    expect(upstreams.busy7!.hits + upstreams.busy3!.hits).toBe(hits);
  });

  it("answers 503 with the soonest Retry-After when a backend was unavailable and the rest rate limited", async () => {
    const answer = await chat(gateway, "m-503");
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["retry-after"]).toBe("20");
    expect(answer.json()).toMatchObject({ error: { code: "no_healthy_backend" } });
  });

  it("counts the answers the gateway makes itself, with bounded labels", async () => {
    expect((await chat(gateway, "no-such-model")).statusCode).toBe(404);
    expect((await chat(gateway, "m-down")).statusCode).toBe(503);
    expect((await chat(gateway, "m-ok", { payload: { model: "m-ok" } })).statusCode).toBe(400);
    expect((await chat(gateway, "m-ok")).statusCode).toBe(200);
    const samples = await metrics(gateway);
    const count = (labels: Record<string, string>) =>
      sumSamples(samples, "switchyard_requests_total", { route: "chat", ...labels });
    expect(count({ model: "unknown", backend: "none", status: "404" })).toBe(1);
    expect(count({ model: "m-down", backend: "none", status: "503" })).toBe(1);
    expect(count({ model: "unknown", backend: "none", status: "400" })).toBe(1);
    expect(count({ model: "m-ok", backend: "ok", status: "200" })).toBe(1);
    expect(count({ model: "m-429", backend: "none", status: "429" })).toBe(2);
    // The client's own model name never becomes a label.
    expect(samples.some((sample) => sample.labels.model === "no-such-model")).toBe(false);
  });

  it("authenticates client keys before the handler, in the route's protocol, and counts the 401", async () => {
    const missing = await chat(keyed, "m-ok");
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ error: { code: "missing_api_key" } });
    const anthropic = await keyed.app.inject({
      method: "POST",
      url: "/v1/messages",
      payload: { model: "m-ok", max_tokens: 8, messages: [{ role: "user", content: "hi" }] },
    });
    expect(anthropic.statusCode).toBe(401);
    expect(anthropic.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const served = await chat(keyed, "m-ok", { headers: { authorization: "Bearer sk-team-key" } });
    expect(served.statusCode).toBe(200);
    const samples = await metrics(keyed);
    expect(sumSamples(samples, "switchyard_requests_total", { status: "401", backend: "none" })).toBe(2);
    expect(sumSamples(samples, "switchyard_requests_total", { route: "messages", status: "401" })).toBe(1);
  });
});
