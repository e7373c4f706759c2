/**
 * `switchyard serve` as a real process on the tiny generated model (qwen3 type: thoughts come out as
 * segments), driven by the official OpenAI SDK. Every body is checked against OpenAI's OpenAPI schema.
 */
import { Ajv } from "ajv";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTinyServe } from "../fixtures/serve-process.js";
import { TINY_MODEL } from "../fixtures/tiny-gguf.js";
import { stopAll } from "../helpers/cli-process.js";
import { getJson, postJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

let url: string;
let client: OpenAI;

beforeAll(async () => {
  ({ url, client } = await startTinyServe(["--model-type", "qwen3"]));
});

afterAll(stopAll);

const messages = [{ role: "user" as const, content: "Hello" }];

describe("switchyard serve: chat (OpenAI SDK)", () => {
  it("answers with the thought in reasoning_content and exact usage", async () => {
    const completion = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 30 });
    validateOpenAI("CreateChatCompletionResponse", completion);
    const message = completion.choices[0]!.message as (typeof completion.choices)[0]["message"] & {
      reasoning_content?: string;
    };
    expect(message.content).toBe(TINY_MODEL.answer);
    expect(message.reasoning_content).toBe(TINY_MODEL.thought);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    const usage = completion.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThanOrEqual(5);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
  });

  it("streams the same answer, thought first, with the same usage at the end", async () => {
    const whole = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 30 });
    const stream = await client.chat.completions.create({
      model: "tiny",
      messages,
      max_tokens: 30,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let reasoning = "";
    let finish: string | null = null;
    let usage: unknown;
    const order: string[] = [];
    for await (const chunk of stream) {
      validateOpenAI("CreateChatCompletionStreamResponse", chunk);
      const delta = (chunk.choices[0]?.delta ?? {}) as { content?: string; reasoning_content?: string };
      if (delta.content) order.push("content");
      if (delta.reasoning_content) order.push("reasoning");
      content += delta.content ?? "";
      reasoning += delta.reasoning_content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe(TINY_MODEL.answer);
    expect(reasoning).toBe(TINY_MODEL.thought);
    expect(order.indexOf("content")).toBeGreaterThan(order.lastIndexOf("reasoning"));
    expect(finish).toBe("stop");
    expect(usage).toEqual(whole.usage);
  });

  it("separates thinking the Python model server's way on request", async () => {
    const response = await postJson<Record<string, unknown>>(`${url}/v1/chat/completions`, {
      model: "tiny",
      messages,
      separate_thinking: true,
      include_channels: ["analysis", "final"],
      reasoning: "medium",
    });
    expect(response.status).toBe(200);
    validateOpenAI("CreateChatCompletionResponse", response.body);
    const body = response.body as {
      reasoning_level: string;
      choices: { message: Record<string, unknown> }[];
      usage: Record<string, unknown>;
    };
    expect(body.reasoning_level).toBe("medium");
    expect(body.choices[0]!.message).toMatchObject({
      content: "Hi.",
      thinking: { analysis: "Ok", commentary: "", raw: "[Analysis]\nOk" },
      channels: { analysis: "Ok", final: "Hi." },
    });
    expect(body.choices[0]!.message.channels).not.toHaveProperty("commentary");
    // Exact counts from the model's tokenizer: "Ok" is 2 byte tokens, "Hi." 3.
    expect(body.usage).toMatchObject({
      thinking_tokens: 2,
      channel_tokens: { analysis: 2, commentary: 0, final: 3 },
    });
  });

  it("stops at max_tokens with finish_reason length", async () => {
    const completion = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 2 });
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage!.completion_tokens).toBe(2);
  });

  it("honours stop sequences", async () => {
    const completion = await client.chat.completions.create({ model: "tiny", messages, stop: ["."] });
    expect(completion.choices[0]!.message.content).toBe("Hi");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
  });
});

describe("switchyard serve: structured output", () => {
  const schema = {
    type: "object",
    properties: {
      name: { type: "string" },
      age: { type: "integer" },
      tags: { type: "array", items: { type: "string" } },
      ok: { type: "boolean" },
    },
    required: ["name", "age", "tags", "ok"],
    additionalProperties: false,
  } as const;

  it("json_schema: the answer parses and validates against the schema", async () => {
    const completion = await client.chat.completions.create({
      model: "tiny",
      messages,
      temperature: 0,
      response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
    });
    validateOpenAI("CreateChatCompletionResponse", completion);
    const value: unknown = JSON.parse(completion.choices[0]!.message.content!);
    const validate = new Ajv().compile(schema);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it("json_schema streams: validated first, then delivered", async () => {
    const stream = await client.chat.completions.create({
      model: "tiny",
      messages,
      temperature: 0,
      stream: true,
      response_format: { type: "json_schema", json_schema: { name: "person", schema } },
    });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    expect(new Ajv().compile(schema)(JSON.parse(content))).toBe(true);
  });

  it("json_object: the answer is a JSON object", async () => {
    const completion = await client.chat.completions.create({
      model: "tiny",
      messages,
      temperature: 0,
      response_format: { type: "json_object" },
    });
    const value: unknown = JSON.parse(completion.choices[0]!.message.content!);
    expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
  });

  it("an answer the grammar cannot hold to the schema is a clear 500, never invalid JSON", async () => {
    // `pattern` is not enforced by the grammar; the tiny model answers "" which fails it.
    const strict = {
      type: "object",
      properties: { code: { type: "string", pattern: "^[0-9]{3}$" } },
      required: ["code"],
    };
    const response = await postJson(`${url}/v1/chat/completions`, {
      model: "tiny",
      messages,
      temperature: 0,
      response_format: { type: "json_schema", json_schema: { name: "code", schema: strict } },
    });
    expect(response.status).toBe(500);
    validateOpenAI("ErrorResponse", response.body);
    expect(response.body).toMatchObject({
      error: { code: "invalid_model_output", param: "response_format" },
    });
  });

  it("an invalid schema is a 400 before any generation", async () => {
    const response = await postJson(`${url}/v1/chat/completions`, {
      model: "tiny",
      messages,
      response_format: { type: "json_schema", json_schema: { name: "bad", schema: { type: "nonsense" } } },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { param: "response_format.json_schema.schema" } });
  });
});

describe("switchyard serve: completions, embeddings, models, errors", () => {
  it("completes a raw prompt", async () => {
    const completion = await client.completions.create({
      model: "tiny",
      prompt: TINY_MODEL.loopPrompt,
      max_tokens: 5,
    });
    validateOpenAI("CreateCompletionResponse", completion);
    expect(completion.choices[0]!.text).toBe("zzzzz");
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
  });

  it("streams a completion", async () => {
    const stream = await client.completions.create({
      model: "tiny",
      prompt: "Once upon a time",
      max_tokens: 40,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      // OpenAI's spec reuses the whole-response schema for chunks, whose finish_reason is null until
      // the last one (as OpenAI sends it): validate the chunk that finishes.
      if (chunk.choices[0]?.finish_reason) validateOpenAI("CreateCompletionResponse", chunk);
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(`\n${TINY_MODEL.rawChat}`);
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 16 });
  });

  it("embeds text (base64, the SDK's default, and float)", async () => {
    const base64 = await client.embeddings.create({ model: "tiny", input: ["hello", "world"] });
    validateOpenAI("CreateEmbeddingResponse", base64);
    expect(base64.data).toHaveLength(2);
    expect(base64.data[0]!.embedding).toHaveLength(TINY_MODEL.embeddingLength);
    const float = await client.embeddings.create({ model: "tiny", input: "hello", encoding_format: "float" });
    expect(float.data[0]!.embedding).toEqual(base64.data[0]!.embedding);
    expect(float.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
  });

  it("lists the model and answers /health", async () => {
    const models = await client.models.list();
    validateOpenAI("ListModelsResponse", { object: "list", data: models.data });
    expect(models.data.map((model) => model.id)).toEqual(["tiny"]);
    const health = await getJson(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", model: "tiny", model_type: "qwen3", gpu: false });
  });

  it("answers mistakes in OpenAI's error format", async () => {
    const cases: [unknown, number, string | null][] = [
      [{ model: "other", messages }, 404, "model"],
      [{ model: "tiny" }, 400, "messages"],
      [{ model: "tiny", messages, n: 2 }, 400, "n"],
      [{ model: "tiny", messages, temperature: 3 }, 400, "temperature"],
      [{ model: "tiny", messages, tools: [{ type: "function", function: { name: "f" } }] }, 400, "tools"],
      [
        { model: "tiny", messages: [{ role: "tool", content: "x", tool_call_id: "1" }] },
        400,
        "messages.0.role",
      ],
    ];
    for (const [body, status, param] of cases) {
      const response = await postJson(`${url}/v1/chat/completions`, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      validateOpenAI("ErrorResponse", response.body);
      expect((response.body as { error: { param: string | null } }).error.param).toBe(param);
    }
    const broken = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: "invalid_json" } });
    const unknown = await getJson(`${url}/v2/nothing`);
    expect(unknown.status).toBe(404);
    validateOpenAI("ErrorResponse", unknown.body);
  });

  it("exports queue gauges and token counters on /metrics", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const samples = parsePrometheusText(text);
    expect(sumSamples(samples, "switchyard_serve_queue_waiting")).toBe(0);
    expect(sumSamples(samples, "switchyard_serve_queue_active")).toBe(0);
    expect(sumSamples(samples, "switchyard_serve_generated_tokens_total")).toBeGreaterThan(0);
    expect(
      sumSamples(samples, "switchyard_serve_requests_total", { route: "chat", outcome: "ok" }),
    ).toBeGreaterThan(0);
  });
});
