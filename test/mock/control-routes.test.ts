import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildMockApp } from "../../src/mock/app.js";
import type { MockOptionsInput } from "../../src/mock/options.js";
import { validateOpenAI } from "../helpers/openapi.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function mock(options: MockOptionsInput = {}): FastifyInstance {
  const app = buildMockApp({ id: "a", logLevel: "silent", ...options });
  apps.push(app);
  return app;
}

const chatBody = { model: "mock-model", messages: [{ role: "user", content: "hi" }] };

function chat(app: FastifyInstance, headers: Record<string, string> = {}) {
  return app.inject({ method: "POST", url: "/v1/chat/completions", headers, payload: chatBody });
}

function control(app: FastifyInstance, url: string, payload?: Record<string, unknown>) {
  return app.inject(
    payload ? { method: "POST", url, payload } : { method: url === "/mock/reset" ? "POST" : "GET", url },
  );
}

describe("--unavailable-for", () => {
  it("answers 503 'model is loading' on every route but /mock/*, until the deadline", async () => {
    const app = mock({ unavailableFor: 60 });
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(503);
    expect(health.headers["retry-after"]).toBe("60");
    validateOpenAI("ErrorResponse", health.json());
    expect(health.json().error.message).toBe("model is loading");

    expect((await chat(app)).statusCode).toBe(503);
    const messages = await app.inject({ method: "POST", url: "/v1/messages", payload: {} });
    expect(messages.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    expect((await control(app, "/mock/stats")).statusCode).toBe(200);

    await control(app, "/mock/faults", { unavailable_for: 0 });
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });
});

describe("injected failures", () => {
  it.each([
    [500, undefined],
    [429, "1"],
    [503, "1"],
  ])("answers %i (retry-after %s) with an OpenAI error body", async (status, retryAfter) => {
    const response = await chat(mock({ failRate: 1, failStatus: status }));
    expect(response.statusCode).toBe(status);
    expect(response.headers["retry-after"]).toBe(retryAfter);
    validateOpenAI("ErrorResponse", response.json());
  });

  it("never faults /health, /v1/models or /mock/*", async () => {
    const app = mock({ failRate: 1 });
    for (const url of ["/health", "/v1/models", "/mock/stats", "/mock/faults"]) {
      expect((await app.inject({ method: "GET", url })).statusCode).toBe(200);
    }
  });

  it("makes the same decisions for the same seed", async () => {
    const statuses = async (seed: number) => {
      const app = mock({ failRate: 0.5, seed });
      const results: number[] = [];
      for (let i = 0; i < 30; i++) results.push((await chat(app)).statusCode);
      return results;
    };
    const first = await statuses(3);
    expect(new Set(first)).toEqual(new Set([200, 500]));
    expect(await statuses(3)).toEqual(first);
  });
});

describe("/mock/faults", () => {
  it("changes faults at runtime from camelCase or snake_case keys", async () => {
    const app = mock();
    const changed = await control(app, "/mock/faults", { fail_rate: 1, failStatus: 502 });
    expect(changed.json()).toMatchObject({ failRate: 1, failStatus: 502, hangRate: 0, tokenDelayMs: 0 });
    expect((await chat(app)).statusCode).toBe(502);
    await control(app, "/mock/faults", { failRate: 0 });
    expect((await chat(app)).statusCode).toBe(200);
    expect((await control(app, "/mock/faults")).json()).toMatchObject({ failRate: 0, failStatus: 502 });
  });

  it("answers an API key with its injected status, with the Retry-After it was given", async () => {
    const app = mock();
    await control(app, "/mock/faults", { keyStatus: { "sk-slow": 429 }, retryAfterSeconds: 30 });
    const limited = await chat(app, { authorization: "Bearer sk-slow" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("30");
    validateOpenAI("ErrorResponse", limited.json());
    expect((await chat(app, { authorization: "Bearer sk-other" })).statusCode).toBe(200);
  });

  it("changes the reasoning mode at runtime", async () => {
    const app = mock();
    await control(app, "/mock/faults", { reasoning: "think" });
    expect((await chat(app)).json().choices[0].message.content).toMatch(/^<think>/);
  });

  it("rejects unknown keys and bad values with 400, changing nothing", async () => {
    const app = mock();
    for (const payload of [{ failRate: 2 }, { nope: 1 }, { failRate: 1, failStatus: 99 }]) {
      const response = await control(app, "/mock/faults", payload);
      expect(response.statusCode).toBe(400);
      validateOpenAI("ErrorResponse", response.json());
    }
    expect((await control(app, "/mock/faults")).json()).toMatchObject({ failRate: 0, failStatus: 500 });
  });
});

describe("/mock/stats and /mock/reset", () => {
  it("counts requests per route, API keys, failures and recent requests", async () => {
    const app = mock({ maxInflight: 5 });
    await chat(app, { authorization: "Bearer sk-1" });
    await chat(app, { authorization: "Bearer sk-2" });
    await chat(app, { authorization: "Bearer sk-1" });
    await app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { "x-api-key": "sk-ant" },
      payload: {},
    });
    await app.inject({ method: "GET", url: "/v1/models" });
    await app.inject({ method: "GET", url: "/health" });
    const stats = (await control(app, "/mock/stats")).json();
    expect(stats).toMatchObject({
      id: "a",
      version: "0",
      requests: { total: 5, chat: 3, completions: 0, embeddings: 0, messages: 1, models: 1, failed: 1 },
      inflight: 0,
      keys: { "sk-1": 2, "sk-2": 1, "sk-ant": 1 },
    });
    expect(stats.recent).toHaveLength(5);
    expect(stats.recent[0]).toEqual({
      route: "chat",
      model: "mock-model",
      stream: false,
      key: "sk-1",
      at: expect.any(Number),
    });
    expect(stats.recent[3]).toMatchObject({ route: "messages", model: null, key: "sk-ant" });

    const reset = (await control(app, "/mock/reset")).json();
    expect(reset.requests.total).toBe(0);
    expect(reset.keys).toEqual({});
    expect((await control(app, "/mock/stats")).json().recent).toEqual([]);
  });
});
