/**
 * The serve routes around a scripted engine (no model): loading, errors, the JSON-output policy, the
 * queue's 429 and streamed failures, all deterministic.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServeApp } from "../../src/serve/app.js";
import { ServeContext } from "../../src/serve/context.js";
import { parseServeOptions, type ServeOptionsInput } from "../../src/serve/options.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { comment, FakeEngine, final, thought } from "./fake-engine.js";

const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** `engine: null` builds a server whose model is still loading. */
function build(options: Partial<ServeOptionsInput> = {}, engine: FakeEngine | null = new FakeEngine()) {
  const context = new ServeContext(
    parseServeOptions({ modelPath: "/models/fake.gguf", logLevel: "silent", ...options }),
    "fake",
  );
  if (engine !== null) context.setEngine(engine);
  const app = buildServeApp(context);
  apps.push(app);
  return { app, context, engine };
}

const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: "fake",
  messages: [{ role: "user", content: "Hi" }],
  ...extra,
});

const schema = { type: "object", properties: { age: { type: "integer" } }, required: ["age"] };
const jsonSchema = { type: "json_schema", json_schema: { name: "p", schema } };

describe("while the model loads", () => {
  it("answers 503 with Retry-After on /health and inference, and still lists the model", async () => {
    const { app } = build({}, null);
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: "loading", model: "fake" });
    expect(health.headers["retry-after"]).toBe("2");
    for (const url of ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"]) {
      const response = await app.inject({ method: "POST", url, payload: chatBody() });
      expect(response.statusCode).toBe(503);
      expect(response.headers["retry-after"]).toBe("2");
      validateOpenAI("ErrorResponse", response.json());
      expect(response.json()).toMatchObject({ error: { code: "model_loading", type: "server_error" } });
    }
    const models = await app.inject({ method: "GET", url: "/v1/models" });
    expect(models.json()).toMatchObject({ data: [{ id: "fake", max_model_len: null }] });
    const metrics = await app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(/^switchyard_serve_model_loaded 0$/m);
  });
});

describe("chat through a scripted engine", () => {
  it("separates harmony channels for gpt-oss (analysis, commentary, then final)", async () => {
    const engine = new FakeEngine("gpt-oss");
    engine.scripts = [
      { pieces: [thought("", true), thought("think"), comment("note", true), final("Paris")] },
    ];
    const { app } = build({ modelType: "gpt-oss" }, engine);
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ separate_thinking: true, reasoning: { effort: "low" } }),
    });
    expect(response.statusCode).toBe(200);
    validateOpenAI("CreateChatCompletionResponse", response.json());
    expect(response.json()).toMatchObject({
      reasoning_level: "low",
      choices: [
        {
          message: {
            content: "Paris",
            reasoning_content: "think\nnote",
            thinking: { analysis: "think", commentary: "note", raw: "[Analysis]\nthink[Commentary]\nnote" },
            channels: { analysis: "think", commentary: "note", final: "Paris" },
          },
          finish_reason: "stop",
        },
      ],
      usage: { thinking_tokens: 9, channel_tokens: { analysis: 5, commentary: 4, final: 5 } },
    });
  });

  it("puts developer_instructions after the system messages", async () => {
    const { app, engine } = build();
    await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({
        messages: [
          { role: "system", content: "sys" },
          { role: "user", content: "Hi" },
        ],
        developer_instructions: "dev",
      }),
    });
    expect(engine!.histories[0]).toEqual([
      { type: "system", text: "sys" },
      { type: "system", text: "dev" },
      { type: "user", text: "Hi" },
      { type: "model", response: [] },
    ]);
  });

  it("refuses a prompt that does not fit the context before taking a slot", async () => {
    const engine = new FakeEngine("generic", 100);
    engine.promptTokens = 100;
    const { app } = build({}, engine);
    const response = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: chatBody() });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: "context_length_exceeded", param: "messages" } });
    expect(engine.jobs).toHaveLength(0);
  });

  it("refuses max_tokens that the prompt leaves no room for, streamed or not, before any stream", async () => {
    const engine = new FakeEngine("generic", 256);
    engine.promptTokens = 94;
    const { app } = build({}, engine);
    for (const stream of [false, true]) {
      const response = await app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: chatBody({ max_tokens: 1000, stream }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      validateOpenAI("ErrorResponse", response.json());
      expect(response.json()).toMatchObject({
        error: { code: "context_length_exceeded", type: "invalid_request_error", param: "max_tokens" },
      });
      expect(response.json().error.message).toContain("256 tokens");
      expect(response.json().error.message).toContain("94 in the messages, 1000 in the completion");
    }
    const completion = await app.inject({
      method: "POST",
      url: "/v1/completions",
      payload: { model: "fake", prompt: "Hi", max_tokens: 163 },
    });
    expect(completion.statusCode).toBe(400);
    expect(completion.json()).toMatchObject({
      error: { code: "context_length_exceeded", param: "max_tokens" },
    });
    expect(engine.jobs).toHaveLength(0);
    const fits = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ max_tokens: 162 }),
    });
    expect(fits.statusCode).toBe(200);
  });

  it("ends a stream that fails after its headers with an error event and [DONE]", async () => {
    const engine = new FakeEngine();
    engine.scripts = [{ pieces: [final("Hel")], error: new Error("GPU fell over") }];
    const { app } = build({}, engine);
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ stream: true }),
    });
    expect(response.statusCode).toBe(200);
    const frames = response.body.split("\n\n").filter((frame) => frame !== "");
    expect(frames.at(-1)).toBe("data: [DONE]");
    const error = JSON.parse(frames.at(-2)!.slice("data: ".length)) as unknown;
    validateOpenAI("ErrorResponse", error);
    expect(error).toMatchObject({ error: { code: "internal_error", type: "server_error" } });
    expect(response.body).not.toContain("GPU fell over");
  });

  it("answers an engine failure without a stream as a 500 in OpenAI's format", async () => {
    const engine = new FakeEngine();
    engine.scripts = [{ pieces: [], error: new Error("boom") }];
    const { app } = build({}, engine);
    const response = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: chatBody() });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ error: { code: "internal_error" } });
  });

  it("answers 413 above the body limit", async () => {
    const { app } = build({ bodyLimit: 64 });
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ messages: [{ role: "user", content: "x".repeat(200) }] }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: "request_too_large" } });
  });
});

describe("the JSON-output policy", () => {
  it("retries once with another seed when sampling is random, and answers the valid output", async () => {
    const engine = new FakeEngine();
    engine.scripts = [{ pieces: [final('{"age":"old"}')] }, { pieces: [final('{"age":41}')] }];
    const { app } = build({}, engine);
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ temperature: 0.7, seed: 5, response_format: jsonSchema }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().choices[0].message.content).toBe('{"age":41}');
    expect(engine.jobs.map((job) => job.sampling.seed)).toEqual([5, 6]);
  });

  it("does not retry a deterministic request: a clear 500, never the invalid JSON", async () => {
    const engine = new FakeEngine();
    engine.scripts = [{ pieces: [final('{"age":"old"}')] }];
    const { app } = build({}, engine);
    for (const stream of [false, true]) {
      const response = await app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: chatBody({ temperature: 0, stream, response_format: jsonSchema }),
      });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({
        error: { code: "invalid_model_output", param: "response_format", message: /\/age must be integer/ },
      });
      expect(response.body).not.toContain('\\"old\\"');
    }
    expect(engine.jobs).toHaveLength(2);
  });

  it("gives up after two random attempts", async () => {
    const engine = new FakeEngine();
    engine.scripts = [{ pieces: [final("not json")] }];
    const { app } = build({}, engine);
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ response_format: { type: "json_object" } }),
    });
    expect(response.statusCode).toBe(500);
    expect(response.json().error.message).toMatch(/after 2 attempts/);
    expect(engine.jobs).toHaveLength(2);
  });

  it("returns output cut by max_tokens as it is, with finish_reason length", async () => {
    const engine = new FakeEngine();
    engine.scripts = [{ pieces: [final('{"age":')], stop: "length" }];
    const { app } = build({}, engine);
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: chatBody({ temperature: 0, max_tokens: 3, response_format: jsonSchema }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().choices[0]).toMatchObject({
      finish_reason: "length",
      message: { content: '{"age":' },
    });
  });
});

describe("the queue", () => {
  it("answers 429 with Retry-After when every slot and waiting place is taken", async () => {
    const engine = new FakeEngine();
    let open: () => void = () => undefined;
    engine.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { app, context } = build({ maxConcurrent: 1, maxQueue: 0 }, engine);
    const first = app.inject({ method: "POST", url: "/v1/chat/completions", payload: chatBody() });
    while (context.queue.snapshot().active === 0) await new Promise((resolve) => setImmediate(resolve));
    const refused = await app.inject({
      method: "POST",
      url: "/v1/completions",
      payload: { model: "fake", prompt: "x" },
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.json()).toMatchObject({ error: { type: "rate_limit_error", code: "queue_full" } });
    open();
    expect((await first).statusCode).toBe(200);
    expect(context.queue.snapshot()).toMatchObject({ active: 0, processed: 1, rejected: 1 });
    const metrics = await app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(
      /^switchyard_serve_requests_total\{route="completions",outcome="rejected"\} 1$/m,
    );
  });
});

describe("embeddings and completions", () => {
  it("encodes vectors as float or base64 and refuses other dimensions", async () => {
    const { app } = build();
    const float = await app.inject({
      method: "POST",
      url: "/v1/embeddings",
      payload: { model: "fake", input: "a" },
    });
    validateOpenAI("CreateEmbeddingResponse", float.json());
    expect(float.json().data[0].embedding).toEqual([0.5, -0.25, 0, 1]);
    const base64 = await app.inject({
      method: "POST",
      url: "/v1/embeddings",
      payload: { model: "fake", input: ["a", "b"], encoding_format: "base64" },
    });
    const bytes = Buffer.from(base64.json().data[1].embedding as string, "base64");
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, 4)]).toEqual([0.5, -0.25, 0, 1]);
    const dimensions = await app.inject({
      method: "POST",
      url: "/v1/embeddings",
      payload: { model: "fake", input: "a", dimensions: 2 },
    });
    expect(dimensions.json()).toMatchObject({ error: { param: "dimensions" } });
  });

  it("refuses several prompts in one completion request", async () => {
    const { app } = build();
    const response = await app.inject({
      method: "POST",
      url: "/v1/completions",
      payload: { model: "fake", prompt: ["a", "b"] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { param: "prompt", code: "unsupported_parameter" } });
  });
});
