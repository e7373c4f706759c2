/**
 * Both protocols in front, both kinds of backend behind: the real Anthropic SDK against OpenAI-kind
 * and Anthropic-kind backends, and the real OpenAI SDK against an Anthropic-kind backend.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let anthropic: Anthropic;
let openai: OpenAI;
let openaiKind: CliProcess;
let anthropicKind: CliProcess;
let config: ReturnType<typeof writeTempConfig>;

beforeAll(async () => {
  [openaiKind, anthropicKind] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "oa", "--models", "oa-model,thinker", "--reasoning", "none"]),
    startCli(["mock", "--port", "0", "--id", "an", "--models", "claude-mock"]),
  ]);
  const thinker = await startCli([
    "mock",
    "--port",
    "0",
    "--id",
    "th",
    "--models",
    "thinker",
    "--reasoning",
    "think",
  ]);
  config = writeTempConfig({
    backends: [
      { name: "oa", url: openaiKind.ready[0]!.url, models: ["oa-model"], kind: "openai" },
      { name: "th", url: thinker.ready[0]!.url, models: ["thinker"], kind: "openai", model_type: "qwen3" },
      { name: "an", url: anthropicKind.ready[0]!.url, models: ["claude-mock"], kind: "anthropic" },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  const base = gateway.ready[0]!.url;
  anthropic = new Anthropic({ baseURL: base, apiKey: "sk-ant-client", maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-openai-client", maxRetries: 0 });
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

const hello = [{ role: "user" as const, content: "hello" }];

describe("Anthropic clients", () => {
  it("are answered by an OpenAI-kind backend through translation", async () => {
    const message = await anthropic.messages.create({ model: "oa-model", max_tokens: 64, messages: hello });
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: "text", text: "[backend=oa version=0] hello" });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const stats = await getJson<{ keys: Record<string, number> }>(`${openaiKind.ready[0]!.url}/mock/stats`);
    expect(stats.body.keys["sk-ant-client"]).toBeGreaterThan(0);
  });

  it("stream through translation with Anthropic's event sequence", async () => {
    const stream = anthropic.messages.stream({ model: "oa-model", max_tokens: 64, messages: hello });
    const events: string[] = [];
    stream.on("streamEvent", (event) => events.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ type: "text", text: "[backend=oa version=0] hello" });
    expect(events[0]).toBe("message_start");
    expect(events).toContain("content_block_delta");
    expect(events.at(-1)).toBe("message_stop");
  });

  it("are answered by an Anthropic-kind backend as they are, streamed and not", async () => {
    const message = await anthropic.messages.create({
      model: "claude-mock",
      max_tokens: 64,
      messages: hello,
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "[backend=an version=0] hello" });
    const streamed = await anthropic.messages
      .stream({ model: "claude-mock", max_tokens: 64, messages: hello })
      .finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: "text", text: "[backend=an version=0] hello" });
  });

  it("receive a <think> model's reasoning as a thinking block when they enable thinking", async () => {
    const request = {
      model: "thinker",
      max_tokens: 2048,
      thinking: { type: "enabled" as const, budget_tokens: 1024 },
      messages: hello,
    };
    const message = await anthropic.messages.create(request);
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    expect(message.content[1]).toMatchObject({ text: "[backend=th version=0] hello" });
    const streamed = await anthropic.messages.stream(request).finalMessage();
    expect(streamed.content.map((block) => block.type)).toEqual(["thinking", "text"]);
  });

  it("get errors in Anthropic's format", async () => {
    const unknown = await anthropic.messages
      .create({ model: "nope", max_tokens: 8, messages: hello })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });
    const response = await fetch(`${anthropic.baseURL}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "oa-model", messages: hello }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("tool calls across protocols", () => {
  const anthropicTools = [
    {
      name: "get_weather",
      description: "Weather for a city",
      input_schema: { type: "object" as const, properties: { text: { type: "string" } } },
    },
  ];
  const openaiTools = [
    {
      type: "function" as const,
      function: {
        name: "get_weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { text: { type: "string" } } },
      },
    },
  ];

  it("Anthropic client, OpenAI backend: tool_use blocks, streamed and not, and the tool result round trip", async () => {
    const request = { model: "oa-model", max_tokens: 64, tools: anthropicTools, messages: hello };
    const message = await anthropic.messages.create(request);
    expect(message.stop_reason).toBe("tool_use");
    const toolUse = message.content.find((block) => block.type === "tool_use");
    expect(toolUse).toMatchObject({ type: "tool_use", name: "get_weather", input: { text: "hello" } });
    const streamed = await anthropic.messages.stream(request).finalMessage();
    expect(streamed.content.find((block) => block.type === "tool_use")).toMatchObject({
      name: "get_weather",
      input: { text: "hello" },
    });
    const answer = await anthropic.messages.create({
      ...request,
      messages: [
        ...hello,
        { role: "assistant", content: message.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: (toolUse as { id: string }).id, content: "sunny" }],
        },
      ],
    });
    expect(answer.stop_reason).toBe("end_turn");
    expect(answer.content[0]).toMatchObject({ type: "text", text: "[backend=oa version=0] hello" });
  });

  it("OpenAI client, Anthropic backend: tool_calls with their deltas, streamed and not", async () => {
    const request = { model: "claude-mock", messages: hello, tools: openaiTools };
    const completion = await openai.chat.completions.create(request);
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    const call = completion.choices[0]!.message.tool_calls![0]! as {
      function: { name: string; arguments: string };
    };
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ text: "hello" });
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    let name = "";
    let args = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(delta.index).toBe(0);
        name += delta.function?.name ?? "";
        args += delta.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe("get_weather");
    expect(JSON.parse(args)).toEqual({ text: "hello" });
    expect(finish).toBe("tool_calls");
  });
});

describe("OpenAI clients", () => {
  it("are answered by an Anthropic-kind backend through translation, streamed and not", async () => {
    const completion = await openai.chat.completions.create({ model: "claude-mock", messages: hello });
    expect(completion.choices[0]!.message.content).toBe("[backend=an version=0] hello");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    const stream = await openai.chat.completions.create({
      model: "claude-mock",
      messages: hello,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("[backend=an version=0] hello");
    const stats = await getJson<{ keys: Record<string, number> }>(
      `${anthropicKind.ready[0]!.url}/mock/stats`,
    );
    expect(stats.body.keys["sk-openai-client"]).toBeGreaterThan(0);
  });

  it("cannot reach an Anthropic-only model through embeddings", async () => {
    const failure = await openai.embeddings
      .create({ model: "claude-mock", input: "x" })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
  });
});
