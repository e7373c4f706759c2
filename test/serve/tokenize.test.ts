/**
 * serve's `POST /tokenize` around a scripted engine: which tokenizer each body shape reaches, the
 * answer shapes, and errors in OpenAI's shape. The real tokenizer is exercised in test/e2e/serve-tokenize.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServeApp } from "../../src/serve/app.js";
import { ServeContext } from "../../src/serve/context.js";
import { parseServeOptions } from "../../src/serve/options.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { FakeEngine } from "./fake-engine.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function build(engine: FakeEngine | null = new FakeEngine()) {
  const context = new ServeContext(
    parseServeOptions({ modelPath: "/models/fake.gguf", logLevel: "silent" }),
    "fake",
  );
  if (engine !== null) context.setEngine(engine);
  const app = buildServeApp(context);
  apps.push(app);
  return app;
}

function tokenize(app: FastifyInstance, payload: unknown) {
  return app.inject({ method: "POST", url: "/tokenize", payload: payload as Record<string, unknown> });
}

describe("POST /tokenize (serve)", () => {
  it("renders messages through the chat path: the count is the chat's prompt_tokens", async () => {
    const engine = new FakeEngine();
    engine.promptTokens = 7;
    const app = build(engine);
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "Hi" },
    ];
    const response = await tokenize(app, { model: "fake", messages, developer_instructions: "think" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ count: 7, max_model_len: 4096, tokens: [1, 2, 3, 4, 5, 6, 7] });
    // The same history the chat route renders: developer_instructions become a system item.
    expect(engine.histories.at(-1)).toEqual([
      { type: "system", text: "be brief" },
      { type: "system", text: "think" },
      { type: "user", text: "Hi" },
      { type: "model", response: [] },
    ]);
    const chat = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: "fake", messages },
    });
    expect(chat.json().usage.prompt_tokens).toBe(7);
  });

  it("tokenizes a prompt (vLLM) and content (llama.cpp) as a completion prompt", async () => {
    const app = build();
    expect((await tokenize(app, { prompt: "ab" })).json()).toEqual({
      count: 2,
      max_model_len: 4096,
      tokens: [97, 98],
    });
    expect((await tokenize(app, { content: "ab" })).json()).toEqual({ tokens: [97, 98] });
  });

  it.each([
    [{ model: "fake" }, "prompt"],
    [{ prompt: 3 }, "prompt"],
    [{ messages: [] }, "messages"],
    [{ messages: [{ role: "tool", content: "x" }] }, "messages.0.role"],
    [{ messages: [{ role: "user", content: "x" }], tools: [{ type: "function" }] }, "tools"],
  ])("answers 400 in OpenAI's shape for %j", async (payload, param) => {
    const response = await tokenize(build(), payload);
    expect(response.statusCode).toBe(400);
    validateOpenAI("ErrorResponse", response.json());
    expect(response.json().error.param).toBe(param);
  });

  it("answers 404 for another model and 503 while loading", async () => {
    const unknown = await tokenize(build(), { model: "other", prompt: "x" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: "model_not_found", param: "model" } });
    const loading = await tokenize(build(null), { prompt: "x" });
    expect(loading.statusCode).toBe(503);
    expect(loading.headers["retry-after"]).toBe("2");
  });
});
