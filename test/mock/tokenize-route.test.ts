/**
 * `POST /tokenize` and `POST /v1/messages/count_tokens`: the answer shapes of vLLM, llama.cpp and
 * Anthropic, with counts that agree with the usage of the matching generation.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildMockApp } from "../../src/mock/app.js";
import type { MockOptionsInput } from "../../src/mock/options.js";
import { MOCK_MAX_MODEL_LEN } from "../../src/mock/script.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function mock(options: MockOptionsInput = {}): FastifyInstance {
  const app = buildMockApp({ id: "a", models: ["mock-model"], logLevel: "silent", ...options });
  apps.push(app);
  return app;
}

function post(app: FastifyInstance, url: string, payload: unknown) {
  return app.inject({ method: "POST", url, payload: payload as Record<string, unknown> });
}

const messages = [
  { role: "system", content: "be brief" },
  { role: "user", content: [{ type: "text", text: "hello  there world" }] },
];

describe("POST /tokenize", () => {
  it("counts a chat's messages as the chat's prompt_tokens (vLLM shape)", async () => {
    const app = mock();
    const tokenized = await post(app, "/tokenize", { model: "mock-model", messages });
    expect(tokenized.statusCode).toBe(200);
    const body = tokenized.json();
    const chat = (await post(app, "/v1/chat/completions", { model: "mock-model", messages })).json();
    expect(body).toEqual({
      count: chat.usage.prompt_tokens,
      max_model_len: MOCK_MAX_MODEL_LEN,
      tokens: body.tokens,
    });
    expect(body.tokens).toHaveLength(body.count);
    expect(body.tokens.every((id: unknown) => Number.isInteger(id))).toBe(true);
  });

  it("counts a prompt as the completion's prompt_tokens, with the same ids every time", async () => {
    const app = mock();
    const prompt = "once upon a time";
    const first = (await post(app, "/tokenize", { model: "mock-model", prompt })).json();
    const again = (await post(app, "/tokenize", { prompt })).json();
    const completion = (await post(app, "/v1/completions", { model: "mock-model", prompt })).json();
    expect(first.count).toBe(completion.usage.prompt_tokens);
    expect(again).toEqual(first);
    // The same word is the same id.
    const repeated = (await post(app, "/tokenize", { prompt: "a a a " })).json();
    expect(new Set(repeated.tokens).size).toBe(1);
  });

  it("never counts an empty prompt below the usage's 1", async () => {
    const body = (await post(mock(), "/tokenize", { prompt: "" })).json();
    expect(body).toMatchObject({ count: 1, tokens: [1] });
  });

  it("answers llama.cpp's {content} with {tokens} only", async () => {
    const app = mock();
    const body = (await post(app, "/tokenize", { content: "hello world" })).json();
    expect(Object.keys(body)).toEqual(["tokens"]);
    expect(body.tokens).toHaveLength(2);
    expect((await post(app, "/tokenize", { content: "" })).json()).toEqual({ tokens: [] });
  });

  it("refuses a body without prompt, messages or content, and an unknown model, in OpenAI's shape", async () => {
    const app = mock();
    const empty = await post(app, "/tokenize", { model: "mock-model" });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { type: "invalid_request_error", param: "prompt" } });
    const wrongType = await post(app, "/tokenize", { prompt: 5 });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.param).toBe("prompt");
    const unknown = await post(app, "/tokenize", { model: "other", prompt: "x" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: "model_not_found", param: "model" } });
  });

  it("is counted in the stats, and never faulted", async () => {
    const app = mock({ failRate: 1 });
    expect((await post(app, "/tokenize", { prompt: "x" })).statusCode).toBe(200);
    const stats = (await app.inject({ method: "GET", url: "/mock/stats" })).json();
    expect(stats.requests).toMatchObject({ total: 1, tokenize: 1, failed: 0 });
  });

  it("is absent with --no-tokenize", async () => {
    const response = await post(mock({ tokenize: false }), "/tokenize", { prompt: "x" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });
});

describe("POST /v1/messages/count_tokens", () => {
  const request = {
    model: "mock-model",
    system: [{ type: "text", text: "be brief" }],
    messages: [
      { role: "user", content: "first question" },
      { role: "assistant", content: "ok" },
      { role: "user", content: [{ type: "text", text: "hello there" }] },
    ],
    tools: [{ name: "f", input_schema: { type: "object" } }],
  };

  it("answers the input_tokens the same Messages request reports, ?beta=true included", async () => {
    const app = mock();
    const counted = await post(app, "/v1/messages/count_tokens?beta=true", request);
    expect(counted.statusCode).toBe(200);
    const message = (
      await post(app, "/v1/messages", { ...request, tool_choice: { type: "none" }, max_tokens: 9 })
    ).json();
    expect(counted.json()).toEqual({ input_tokens: message.usage.input_tokens });
    const stats = (await app.inject({ method: "GET", url: "/mock/stats" })).json();
    expect(stats.requests).toMatchObject({ count_tokens: 1, messages: 1 });
  });

  it("refuses a bad body and an unknown model in Anthropic's shape", async () => {
    const app = mock();
    const bad = await post(app, "/v1/messages/count_tokens", { model: "mock-model" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const unknown = await post(app, "/v1/messages/count_tokens", { ...request, model: "other" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});
