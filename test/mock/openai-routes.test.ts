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
  const app = buildMockApp({ id: "a", models: ["mock-model", "mock-embed"], logLevel: "silent", ...options });
  apps.push(app);
  return app;
}

function post(app: FastifyInstance, url: string, payload: unknown) {
  return app.inject({ method: "POST", url, payload: payload as Record<string, unknown> });
}

/** The JSON payloads of an OpenAI SSE body, and whether it ended with [DONE]. */
function sseJson(body: string): { events: Array<Record<string, unknown>>; done: boolean } {
  const frames = body.split("\n\n").filter((frame) => frame.length > 0);
  const data = frames.map((frame) => frame.replace(/^data: /, ""));
  const done = data.at(-1) === "[DONE]";
  return { events: data.filter((item) => item !== "[DONE]").map((item) => JSON.parse(item)), done };
}

const chat = (content: unknown, extra: Record<string, unknown> = {}) => ({
  model: "mock-model",
  messages: [
    { role: "system", content: "be brief" },
    { role: "user", content },
  ],
  ...extra,
});

describe("POST /v1/chat/completions", () => {
  it("answers a chat.completion that matches OpenAI's schema", async () => {
    const response = await post(mock(), "/v1/chat/completions", chat("hello world"));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    validateOpenAI("CreateChatCompletionResponse", body);
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "mock-model",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "[backend=a version=0] hello world", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
  });

  it("joins the text parts of a content array", async () => {
    const content = [
      { type: "text", text: "hello" },
      { type: "image_url", image_url: { url: "data:," } },
      { type: "text", text: "there" },
    ];
    const body = (await post(mock(), "/v1/chat/completions", chat(content))).json();
    expect(body.choices[0].message.content).toBe("[backend=a version=0] hello there");
  });

  it("truncates at max_completion_tokens / max_tokens with finish_reason length", async () => {
    const app = mock();
    for (const limit of [{ max_tokens: 2 }, { max_completion_tokens: 2 }]) {
      const body = (await post(app, "/v1/chat/completions", chat("hello world", limit))).json();
      expect(body.choices[0]).toMatchObject({
        message: { content: "[backend=a version=0] " },
        finish_reason: "length",
      });
      expect(body.usage.completion_tokens).toBe(2);
    }
  });

  it("streams chunks whose deltas add up to the JSON reply, then usage, then [DONE]", async () => {
    const app = mock({ reasoning: "think" });
    const json = (await post(app, "/v1/chat/completions", chat("hello world"))).json();
    const response = await post(
      app,
      "/v1/chat/completions",
      chat("hello world", { stream: true, stream_options: { include_usage: true } }),
    );
    expect(response.headers["content-type"]).toMatch(/^text\/event-stream/);
    const { events, done } = sseJson(response.body);
    expect(done).toBe(true);
    for (const event of events) validateOpenAI("CreateChatCompletionStreamResponse", event);
    const choices = events.map((event) => (event.choices as Array<Record<string, unknown>>)[0]);
    expect(choices[0]).toMatchObject({ delta: { role: "assistant", content: "" }, finish_reason: null });
    const text = choices
      .map((choice) => (choice?.delta as { content?: string } | undefined)?.content ?? "")
      .join("");
    expect(text).toBe(json.choices[0].message.content);
    expect(text.startsWith("<think>")).toBe(true);
    expect(choices.at(-2)).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(events.at(-1)).toMatchObject({ choices: [], usage: json.usage });
    expect(new Set(events.map((event) => event.id)).size).toBe(1);
  });

  it("streams without a usage chunk unless asked", async () => {
    const response = await post(mock(), "/v1/chat/completions", chat("hi", { stream: true }));
    const { events } = sseJson(response.body);
    expect(events.every((event) => !("usage" in event))).toBe(true);
    expect(events.at(-1)).toMatchObject({ choices: [{ finish_reason: "stop" }] });
  });

  it("emits harmony channels in the content with --reasoning harmony", async () => {
    const body = (await post(mock({ reasoning: "harmony" }), "/v1/chat/completions", chat("hi"))).json();
    expect(body.choices[0].message.content).toMatch(
      /^<\|channel\|>analysis<\|message\|>.+<\|end\|><\|start\|>assistant<\|channel\|>final<\|message\|>\[backend=a version=0\] hi$/,
    );
  });
});

describe("POST /v1/chat/completions with --reasoning split", () => {
  it("returns the thought in message.reasoning_content, counted in usage", async () => {
    const app = mock({ reasoning: "split" });
    const response = await post(app, "/v1/chat/completions", chat("hello world"));
    const body = response.json();
    validateOpenAI("CreateChatCompletionResponse", body);
    expect(body.choices[0].message).toEqual({
      role: "assistant",
      content: "[backend=a version=0] hello world",
      refusal: null,
      reasoning_content: "The user wrote 2 words. I will echo them back.",
    });
    // 10 reasoning tokens + 4 answer tokens.
    expect(body.usage.completion_tokens).toBe(14);
  });

  it("streams the thought as reasoning_content deltas before the answer's content deltas", async () => {
    const app = mock({ reasoning: "split" });
    const response = await post(
      app,
      "/v1/chat/completions",
      chat("hello world", { stream: true, stream_options: { include_usage: true } }),
    );
    const { events, done } = sseJson(response.body);
    expect(done).toBe(true);
    for (const event of events) validateOpenAI("CreateChatCompletionStreamResponse", event);
    const deltas = events.flatMap((event) =>
      (event.choices as Array<{ delta: { content?: string; reasoning_content?: string } }>).map(
        (choice) => choice.delta,
      ),
    );
    const firstContent = deltas.findIndex((delta) => (delta.content ?? "") !== "");
    const lastReasoning = deltas.findLastIndex((delta) => delta.reasoning_content !== undefined);
    expect(lastReasoning).toBeLessThan(firstContent);
    expect(deltas.map((delta) => delta.reasoning_content ?? "").join("")).toBe(
      "The user wrote 2 words. I will echo them back.",
    );
    expect(deltas.map((delta) => delta.content ?? "").join("")).toBe("[backend=a version=0] hello world");
    expect(events.at(-1)).toMatchObject({ usage: { completion_tokens: 14 } });
  });
});

describe("POST /v1/completions", () => {
  it("answers a text_completion that matches OpenAI's schema", async () => {
    const response = await post(mock(), "/v1/completions", {
      model: "mock-model",
      prompt: "once upon",
      max_tokens: 3,
    });
    const body = response.json();
    validateOpenAI("CreateCompletionResponse", body);
    expect(body).toMatchObject({
      object: "text_completion",
      choices: [{ text: "[backend=a version=0] once ", index: 0, logprobs: null, finish_reason: "length" }],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
  });

  it("streams completion chunks that add up to the JSON reply", async () => {
    const app = mock();
    const request = { model: "mock-model", prompt: ["once", "upon"] };
    const json = (await post(app, "/v1/completions", request)).json();
    const response = await post(app, "/v1/completions", {
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { events, done } = sseJson(response.body);
    expect(done).toBe(true);
    const usage = events.pop()!;
    const final = events.at(-1)!;
    // Streamed and JSON completions share CreateCompletionResponse, but the spec's finish_reason is not
    // nullable while every chunk before the last carries null (as OpenAI's own stream does). The last
    // choice chunk and the usage chunk validate as they are; earlier ones with their finish_reason filled.
    validateOpenAI("CreateCompletionResponse", final);
    validateOpenAI("CreateCompletionResponse", usage);
    for (const event of events.slice(0, -1)) {
      const choices = (event.choices as Array<Record<string, unknown>>).map((choice) => ({
        ...choice,
        finish_reason: "stop",
      }));
      validateOpenAI("CreateCompletionResponse", { ...event, choices });
    }
    const text = events.map((event) => (event.choices as Array<{ text: string }>)[0]!.text).join("");
    expect(text).toBe(json.choices[0].text);
    expect(text).toBe("[backend=a version=0] once upon");
    expect(usage).toMatchObject({ choices: [], usage: json.usage });
  });
});

describe("POST /v1/embeddings", () => {
  it("answers one unit vector per input, deterministic and content-dependent", async () => {
    const app = mock();
    const response = await post(app, "/v1/embeddings", { model: "mock-embed", input: ["a b", "c", "a b"] });
    const body = response.json();
    validateOpenAI("CreateEmbeddingResponse", body);
    expect(body.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    const [first, second, third] = body.data as Array<{ index: number; embedding: number[] }>;
    expect(first!.embedding).toHaveLength(16);
    expect(Math.hypot(...first!.embedding)).toBeCloseTo(1, 5);
    expect(third!.embedding).toEqual(first!.embedding);
    expect(second!.embedding).not.toEqual(first!.embedding);
    expect(body.data.map((item: { index: number }) => item.index)).toEqual([0, 1, 2]);
  });

  it("honours dimensions and base64 (float32 little-endian)", async () => {
    const app = mock();
    const floats = (
      await post(app, "/v1/embeddings", { model: "mock-embed", input: "x", dimensions: 4 })
    ).json();
    const base64 = (
      await post(app, "/v1/embeddings", {
        model: "mock-embed",
        input: "x",
        dimensions: 4,
        encoding_format: "base64",
      })
    ).json();
    const bytes = Buffer.from(base64.data[0].embedding, "base64");
    const decoded = Array.from({ length: 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toEqual(floats.data[0].embedding);
  });

  it("accepts token arrays", async () => {
    const app = mock();
    const single = (await post(app, "/v1/embeddings", { model: "mock-embed", input: [1, 2, 3] })).json();
    const batch = (
      await post(app, "/v1/embeddings", { model: "mock-embed", input: [[1, 2, 3], [4]] })
    ).json();
    validateOpenAI("CreateEmbeddingResponse", batch);
    expect(single.usage.prompt_tokens).toBe(3);
    expect(batch.data[0].embedding).toEqual(single.data[0].embedding);
    expect(batch.usage.prompt_tokens).toBe(4);
  });
});

describe("GET /v1/models and /health", () => {
  it("lists the configured models", async () => {
    const body = (await mock().inject({ method: "GET", url: "/v1/models" })).json();
    validateOpenAI("ListModelsResponse", body);
    expect(body.data.map((model: { id: string }) => model.id)).toEqual(["mock-model", "mock-embed"]);
    expect(body.data[0]).toMatchObject({ object: "model", owned_by: "switchyard-mock" });
  });

  it("reports health with id, version and models", async () => {
    const body = (await mock({ version: "7" }).inject({ method: "GET", url: "/health" })).json();
    expect(body).toEqual({ status: "ok", id: "a", version: "7", models: ["mock-model", "mock-embed"] });
  });
});

describe("OpenAI errors", () => {
  const cases: Array<[string, number, string, unknown, string | null]> = [
    ["missing model", 400, "/v1/chat/completions", { messages: [{ role: "user", content: "x" }] }, null],
    ["empty messages", 400, "/v1/chat/completions", { model: "mock-model", messages: [] }, null],
    ["messages not an array", 400, "/v1/chat/completions", { model: "mock-model", messages: "hi" }, null],
    ["wrong max_tokens", 400, "/v1/chat/completions", chat("x", { max_tokens: "many" }), null],
    ["body not an object", 400, "/v1/chat/completions", [1, 2], null],
    ["missing prompt", 400, "/v1/completions", { model: "mock-model" }, null],
    [
      "bad encoding",
      400,
      "/v1/embeddings",
      { model: "mock-embed", input: "x", encoding_format: "hex" },
      null,
    ],
    ["empty input", 400, "/v1/embeddings", { model: "mock-embed", input: [] }, null],
    ["unknown model", 404, "/v1/chat/completions", { ...chat("x"), model: "gpt-9" }, "model_not_found"],
    ["unknown embedding model", 404, "/v1/embeddings", { model: "nope", input: "x" }, "model_not_found"],
  ];

  it.each(cases)("%s → %i in OpenAI's error format", async (_, status, url, payload, code) => {
    const response = await post(mock(), url, payload);
    expect(response.statusCode).toBe(status);
    const body = response.json();
    validateOpenAI("ErrorResponse", body);
    expect(body.error.type).toBe("invalid_request_error");
    if (code) expect(body.error.code).toBe(code);
  });

  it("answers malformed JSON with 400", async () => {
    const response = await mock().inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      payload: '{"model":',
    });
    expect(response.statusCode).toBe(400);
    validateOpenAI("ErrorResponse", response.json());
  });

  it("answers a body over the limit with 413", async () => {
    const response = await post(mock({ bodyLimit: 1024 }), "/v1/chat/completions", chat("x".repeat(2048)));
    expect(response.statusCode).toBe(413);
    validateOpenAI("ErrorResponse", response.json());
  });

  it("answers an unknown route with 404", async () => {
    const response = await mock().inject({ method: "GET", url: "/v2/nothing" });
    expect(response.statusCode).toBe(404);
    const body = response.json();
    validateOpenAI("ErrorResponse", body);
    expect(body.error.message).toContain("/v2/nothing");
  });
});
