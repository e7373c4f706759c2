import { describe, expect, it } from "vitest";
import type { AnthropicMessage, AnthropicMessagesRequest } from "../../../src/protocol/anthropic/types.js";
import {
  ANTHROPIC_MESSAGES_PATH,
  OpenAIToAnthropic,
  UNTRANSLATABLE_CODE,
} from "../../../src/protocol/translate/openai-to-anthropic.js";
import { DEFAULT_MAX_TOKENS } from "../../../src/protocol/translate/openai-to-anthropic-request.js";
import { JSON_TOOL_NAME } from "../../../src/protocol/translate/openai-to-anthropic-tools.js";
import type { OpenAIChatRequest } from "../../../src/protocol/translate/openai-types.js";
import { expectOpenAISchema } from "../../helpers/openapi.js";
import { convert, fixedOptions, parseSse, payloads, readText } from "./helpers.js";

function translator(): OpenAIToAnthropic {
  return new OpenAIToAnthropic(fixedOptions());
}

function request(fields: Partial<OpenAIChatRequest>): OpenAIChatRequest {
  return { model: "claude-x", messages: [{ role: "user", content: "Hi" }], ...fields };
}

function upstream(fields: Partial<OpenAIChatRequest>): AnthropicMessagesRequest {
  const result = translator().request(request(fields));
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.body)}`);
  expect(result.path).toBe(ANTHROPIC_MESSAGES_PATH);
  expect(result.headers).toEqual({ "anthropic-version": "2023-06-01" });
  return result.body as AnthropicMessagesRequest;
}

const SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h";

describe("request: messages", () => {
  it.each<[string, OpenAIChatRequest["messages"], Pick<AnthropicMessagesRequest, "messages" | "system">]>([
    [
      "one string system message stays a string",
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      { system: "Be brief.", messages: [{ role: "user", content: "Hi" }] },
    ],
    [
      "system and developer messages anywhere are joined into system blocks",
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "developer", content: [{ type: "text", text: "Use French." }] },
      ],
      {
        system: [
          { type: "text", text: "Be brief." },
          { type: "text", text: "Use French." },
        ],
        messages: [{ role: "user", content: "Hi" }],
      },
    ],
    [
      "user parts: text, data URL image, http image (detail dropped)",
      [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ", detail: "high" } },
            { type: "image_url", image_url: { url: "https://example.com/b.png" } },
          ],
        },
      ],
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Compare" },
              { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
              { type: "image", source: { type: "url", url: "https://example.com/b.png" } },
            ],
          },
        ],
      },
    ],
    [
      "assistant tool calls, consecutive tool results merged with the user turn after them",
      [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: "{bad json" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "error" }], is_error: true },
        { role: "user", content: "Thanks" },
      ],
      {
        messages: [
          { role: "user", content: "Weather in Paris and Rome?" },
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
              { type: "tool_use", id: "call_2", name: "weather", input: { _raw_arguments: "{bad json" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "call_1", content: "18C" },
              {
                type: "tool_result",
                tool_use_id: "call_2",
                content: [{ type: "text", text: "error" }],
                is_error: true,
              },
              { type: "text", text: "Thanks" },
            ],
          },
        ],
      },
    ],
    [
      "assistant reasoning with thinking_blocks becomes signed thinking blocks",
      [
        { role: "user", content: "Q" },
        {
          role: "assistant",
          content: [{ type: "text", text: "A" }],
          reasoning_content: "ignored when blocks are present",
          thinking_blocks: [
            { type: "thinking", thinking: "t", signature: SIGNATURE },
            { type: "redacted_thinking", data: "R" },
          ],
        },
      ],
      {
        messages: [
          { role: "user", content: "Q" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "t", signature: SIGNATURE },
              { type: "redacted_thinking", data: "R" },
              { type: "text", text: "A" },
            ],
          },
        ],
      },
    ],
    [
      "unsigned reasoning is dropped; a plain assistant string stays a string",
      [
        { role: "user", content: "Q" },
        { role: "assistant", content: "A", reasoning_content: "unsigned" },
      ],
      {
        messages: [
          { role: "user", content: "Q" },
          { role: "assistant", content: "A" },
        ],
      },
    ],
    [
      "a refusal becomes text",
      [
        { role: "user", content: "Q" },
        { role: "assistant", content: null, refusal: "I can't help with that." },
      ],
      {
        messages: [
          { role: "user", content: "Q" },
          { role: "assistant", content: [{ type: "text", text: "I can't help with that." }] },
        ],
      },
    ],
  ])("%s", (_name, messages, expected) => {
    const body = upstream({ messages });
    expect({ system: body.system, messages: body.messages }).toEqual({ system: undefined, ...expected });
  });
});

describe("request: parameters", () => {
  it("maps limits, stop, sampling, user and streaming", () => {
    expect(
      upstream({
        max_tokens: 100,
        max_completion_tokens: 500,
        stop: "END",
        temperature: 1.6,
        top_p: 0.8,
        top_k: 20,
        user: "u-1",
        stream: true,
        stream_options: { include_usage: true },
        seed: 7,
        presence_penalty: 0.5,
      } as Partial<OpenAIChatRequest>),
    ).toEqual({
      model: "claude-x",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 500,
      stop_sequences: ["END"],
      temperature: 1,
      top_p: 0.8,
      top_k: 20,
      metadata: { user_id: "u-1" },
      stream: true,
    });
  });

  it.each<[Partial<OpenAIChatRequest>, number, AnthropicMessagesRequest["thinking"]]>([
    [{}, DEFAULT_MAX_TOKENS, undefined],
    [{ max_tokens: 300 }, 300, undefined],
    [{ reasoning_effort: "none" }, DEFAULT_MAX_TOKENS, undefined],
    [{ reasoning_effort: "minimal" }, DEFAULT_MAX_TOKENS + 1024, { type: "enabled", budget_tokens: 1024 }],
    [{ reasoning_effort: "low" }, DEFAULT_MAX_TOKENS + 2048, { type: "enabled", budget_tokens: 2048 }],
    [{ reasoning_effort: "medium" }, DEFAULT_MAX_TOKENS + 8192, { type: "enabled", budget_tokens: 8192 }],
    [{ reasoning_effort: "high" }, DEFAULT_MAX_TOKENS + 16384, { type: "enabled", budget_tokens: 16384 }],
    [
      { reasoning_effort: "high", max_completion_tokens: 3000 },
      3000,
      { type: "enabled", budget_tokens: 2999 },
    ],
    [{ reasoning_effort: "high", max_tokens: 1024 }, 1024, undefined],
  ])("%j → max_tokens %i, thinking %j", (fields, maxTokens, thinking) => {
    const body = upstream(fields);
    expect({ max_tokens: body.max_tokens, thinking: body.thinking }).toEqual({
      max_tokens: maxTokens,
      thinking,
    });
  });

  it.each<[Partial<OpenAIChatRequest>, Partial<AnthropicMessagesRequest>]>([
    [{ temperature: 0.7, top_p: 0.9, top_k: 5 }, {}],
    [
      { temperature: 1, top_p: 0.95 },
      { temperature: 1, top_p: 0.95 },
    ],
  ])("with thinking on, sampling %j keeps only %j", (sampling, kept) => {
    const body = upstream({ reasoning_effort: "low", ...sampling });
    expect({ temperature: body.temperature, top_p: body.top_p, top_k: body.top_k }).toEqual({
      temperature: undefined,
      top_p: undefined,
      top_k: undefined,
      ...kept,
    });
  });

  it.each<[OpenAIChatRequest["stop"], string[] | undefined]>([
    ["x", ["x"]],
    [
      ["a", "b"],
      ["a", "b"],
    ],
    [[], undefined],
    [null, undefined],
  ])("stop %j → stop_sequences %j", (stop, expected) => {
    expect(upstream({ stop }).stop_sequences).toEqual(expected);
  });

  const tools: OpenAIChatRequest["tools"] = [
    { type: "function", function: { name: "search", description: "Search", parameters: { type: "object" } } },
  ];
  it.each<[Partial<OpenAIChatRequest>, AnthropicMessagesRequest["tool_choice"]]>([
    [{}, undefined],
    [{ tool_choice: "none" }, { type: "none" }],
    [{ tool_choice: "auto" }, { type: "auto" }],
    [{ tool_choice: "required" }, { type: "any" }],
    [{ tool_choice: { type: "function", function: { name: "search" } } }, { type: "tool", name: "search" }],
    [{ parallel_tool_calls: false }, { type: "auto", disable_parallel_tool_use: true }],
    [
      { tool_choice: "required", parallel_tool_calls: false },
      { type: "any", disable_parallel_tool_use: true },
    ],
  ])("tools with %j → tool_choice %j", (fields, choice) => {
    const body = upstream({ tools, ...fields });
    expect(body.tools).toEqual([{ name: "search", description: "Search", input_schema: { type: "object" } }]);
    expect(body.tool_choice).toEqual(choice);
  });

  it("drops tool_choice without tools, which Anthropic refuses", () => {
    expect(upstream({ tool_choice: "auto", tools: [] })).not.toHaveProperty("tool_choice");
  });

  const schema = { type: "object", properties: { answer: { type: "integer" } } };
  it.each<[string, Partial<OpenAIChatRequest>, AnthropicMessagesRequest["tool_choice"], string[]]>([
    [
      "json_schema alone forces the answer tool",
      {},
      { type: "tool", name: JSON_TOOL_NAME },
      [JSON_TOOL_NAME],
    ],
    ["next to client tools, any tool", { tools }, { type: "any" }, ["search", JSON_TOOL_NAME]],
    ["with thinking, auto", { reasoning_effort: "low" }, { type: "auto" }, [JSON_TOOL_NAME]],
    [
      "client tool_choice none drops client tools",
      { tools, tool_choice: "none" },
      { type: "tool", name: JSON_TOOL_NAME },
      [JSON_TOOL_NAME],
    ],
  ])("response_format: %s", (_name, fields, choice, toolNames) => {
    const format = { type: "json_schema" as const, json_schema: { name: "answer", schema } };
    const body = upstream({ response_format: format, ...fields });
    expect(body.tool_choice).toEqual(choice);
    expect(body.tools?.map((tool) => tool.name)).toEqual(toolNames);
    expect(body.tools?.at(-1)?.input_schema).toEqual(schema);
  });

  it("response_format json_object asks for any object; text asks for nothing", () => {
    expect(upstream({ response_format: { type: "json_object" } }).tools?.[0]?.input_schema).toEqual({
      type: "object",
    });
    expect(upstream({ response_format: { type: "text" } })).not.toHaveProperty("tools");
  });
});

describe("request: refusals are OpenAI 400s naming the parameter", () => {
  it.each<[string, unknown, string | null]>([
    ["n > 1", request({ n: 2 }), "n"],
    ["logprobs", request({ logprobs: true }), "logprobs"],
    ["legacy functions", request({ functions: [{ name: "f" }] }), "functions"],
    ["audio output", request({ modalities: ["text", "audio"] }), "modalities"],
    [
      "an audio part",
      request({
        messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "input_audio" }] }],
      }),
      "messages.0.content.1",
    ],
    [
      "an ftp image",
      request({
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }],
      }),
      "messages.0.content.0.image_url.url",
    ],
    [
      "a data URL that is not base64",
      request({
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "data:text/plain,hi" } }] },
        ],
      }),
      "messages.0.content.0.image_url.url",
    ],
    [
      "a legacy function message",
      request({ messages: [{ role: "function", content: "x" } as never] }),
      "messages.0.role",
    ],
    ["a custom tool", request({ tools: [{ type: "custom", custom: { name: "x" } } as never] }), "tools.0"],
    [
      "a tool named like the answer tool",
      request({
        tools: [{ type: "function", function: { name: JSON_TOOL_NAME } }],
        response_format: { type: "json_object" },
      }),
      "tools",
    ],
    [
      "an allowed_tools choice",
      request({
        tools: [{ type: "function", function: { name: "a" } }],
        tool_choice: { type: "allowed_tools" } as never,
      }),
      "tool_choice",
    ],
    ["no messages", { model: "m" }, "messages"],
    ["a null message", request({ messages: [null as never] }), "messages.0.role"],
    ["a number body", 42, "messages"],
  ])("%s", (_name, body, param) => {
    const result = translator().request(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({
      error: { type: "invalid_request_error", code: UNTRANSLATABLE_CODE, param },
    });
  });

  it("n = 1 is fine", () => {
    expect(translator().request(request({ n: 1 })).ok).toBe(true);
  });
});

describe("response: Anthropic message → OpenAI completion", () => {
  function message(fields: Partial<AnthropicMessage>): AnthropicMessage {
    return {
      id: "msg_01",
      type: "message",
      role: "assistant",
      model: "claude-x",
      content: [{ type: "text", text: "Hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 3 },
      ...fields,
    };
  }

  it.each<[AnthropicMessage["stop_reason"], string]>([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["tool_use", "tool_calls"],
    ["pause_turn", "stop"],
    ["refusal", "content_filter"],
    ["model_context_window_exceeded", "length"],
    [null, "stop"],
  ])("stop_reason %s → finish_reason %s", (stopReason, finish) => {
    const content =
      stopReason === "tool_use" ? [{ type: "tool_use" as const, id: "t", name: "f", input: {} }] : undefined;
    const completion = translator().response(
      message({ stop_reason: stopReason, ...(content ? { content } : {}) }),
    );
    expect(completion.choices[0]?.finish_reason).toBe(finish);
    expectOpenAISchema("CreateChatCompletionResponse", completion);
  });

  it("names the matched stop sequence as vLLM does", () => {
    const completion = translator().response(message({ stop_reason: "stop_sequence", stop_sequence: "END" }));
    expect(completion.choices[0]).toMatchObject({ finish_reason: "stop", stop_reason: "END" });
  });

  it("maps thinking, text, and tool calls, and usage with cache reads and writes", () => {
    const completion = translator().response(
      message({
        content: [
          { type: "thinking", thinking: "Plan.", signature: SIGNATURE },
          { type: "redacted_thinking", data: "R" },
          { type: "text", text: "Calling " },
          { type: "text", text: "tools." },
          { type: "tool_use", id: "toolu_1", name: "a", input: { x: [1, 2] } },
          { type: "tool_use", id: "toolu_2", name: "b", input: { _raw_arguments: "{oops" } },
        ],
        stop_reason: "tool_use",
        usage: {
          input_tokens: 5,
          output_tokens: 50,
          cache_creation_input_tokens: 100,
          cache_read_input_tokens: 1000,
        },
      }),
    );
    expect(completion).toEqual({
      id: "chatcmpl-msg_01",
      object: "chat.completion",
      created: 1_735_689_600,
      model: "claude-x",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Calling tools.",
            refusal: null,
            reasoning_content: "Plan.",
            thinking_blocks: [
              { type: "thinking", thinking: "Plan.", signature: SIGNATURE },
              { type: "redacted_thinking", data: "R" },
            ],
            tool_calls: [
              { id: "toolu_1", type: "function", function: { name: "a", arguments: '{"x":[1,2]}' } },
              { id: "toolu_2", type: "function", function: { name: "b", arguments: "{oops" } },
            ],
          },
          finish_reason: "tool_calls",
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 1105,
        completion_tokens: 50,
        total_tokens: 1155,
        prompt_tokens_details: { cached_tokens: 1000 },
      },
    });
    expectOpenAISchema("CreateChatCompletionResponse", completion);
  });

  it("a reply of only tool calls has null content", () => {
    const completion = translator().response(
      message({ content: [{ type: "tool_use", id: "t", name: "f", input: {} }], stop_reason: "tool_use" }),
    );
    expect(completion.choices[0]?.message.content).toBeNull();
  });

  it("the response-format tool's input is the content, and the finish is stop", () => {
    const t = translator();
    t.request(request({ response_format: { type: "json_object" } }));
    const completion = t.response(
      message({
        content: [{ type: "tool_use", id: "t", name: JSON_TOOL_NAME, input: { answer: 42 } }],
        stop_reason: "tool_use",
      }),
    );
    expect(completion.choices[0]).toMatchObject({
      message: { content: '{"answer":42}' },
      finish_reason: "stop",
    });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("survives a body that is not a message", () => {
    const completion = translator().response([1, 2]);
    expect(completion).toMatchObject({
      id: "chatcmpl-gen1",
      choices: [{ message: { content: "" }, finish_reason: "stop" }],
    });
    expectOpenAISchema("CreateChatCompletionResponse", completion);
  });
});

describe("errors: Anthropic bodies → OpenAI envelope", () => {
  const anthropic = (type: string, message: string) => ({ type: "error", error: { type, message } });
  it.each<[number, unknown, string, string, string | null]>([
    [
      400,
      anthropic("invalid_request_error", "max_tokens: too big"),
      "invalid_request_error",
      "max_tokens: too big",
      "invalid_request_error",
    ],
    [
      401,
      anthropic("authentication_error", "invalid x-api-key"),
      "authentication_error",
      "invalid x-api-key",
      "authentication_error",
    ],
    [403, anthropic("permission_error", "no"), "permission_error", "no", "permission_error"],
    [
      404,
      anthropic("not_found_error", "model: claude-x"),
      "invalid_request_error",
      "model: claude-x",
      "not_found_error",
    ],
    [
      413,
      anthropic("request_too_large", "too large"),
      "invalid_request_error",
      "too large",
      "request_too_large",
    ],
    [429, anthropic("rate_limit_error", "slow"), "rate_limit_error", "slow", "rate_limit_error"],
    [500, anthropic("api_error", "oops"), "server_error", "oops", "api_error"],
    [529, anthropic("overloaded_error", "Overloaded"), "server_error", "Overloaded", "overloaded_error"],
    [502, "Bad Gateway", "server_error", "Bad Gateway", null],
    [504, undefined, "timeout_error", "Upstream returned HTTP 504.", null],
  ])("%i %j", (status, body, type, message, code) => {
    expect(translator().error(status, body)).toEqual({ error: { message, type, param: null, code } });
  });
});

describe("stream: chunks are valid OpenAI chunks", () => {
  it.each(["text", "tool-calls", "thinking", "usage", "json-format"])("%s", (name) => {
    const t = translator();
    t.request(request({ stream: true, stream_options: { include_usage: true } }));
    const input = readFixture(name);
    for (const chunk of payloads(convert(t.stream(), parseSse([input])))) {
      expectOpenAISchema("CreateChatCompletionStreamResponse", chunk.data);
    }
  });

  it("fail() ends the stream with an OpenAI error payload and no [DONE]", () => {
    const converter = translator().stream();
    converter.event({ event: "message_start", data: JSON.stringify({ type: "message_start", message: {} }) });
    expect(converter.fail(504, "Upstream timed out")).toEqual([
      'data: {"error":{"message":"Upstream timed out","type":"timeout_error","param":null,"code":null}}\n\n',
    ]);
    expect(converter.end()).toEqual([]);
  });

  it("an upstream that ends early still gets a finish chunk and [DONE]", () => {
    const out = convert(translator().stream(), [
      {
        event: "content_block_start",
        data: '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
      },
      {
        event: "content_block_delta",
        data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}',
      },
    ]);
    const chunks = payloads(out).map(
      (p) => p.data as { choices: Array<{ delta: object; finish_reason: unknown }> },
    );
    expect(chunks.map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason])).toEqual([
      [{ role: "assistant", content: "" }, null],
      [{ content: "a" }, null],
      [{}, "stop"],
    ]);
    expect(out.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("ignores ping, unknown events and data that is not JSON", () => {
    const converter = translator().stream();
    expect(converter.event({ event: "ping", data: '{"type":"ping"}' })).toEqual([]);
    expect(converter.event({ event: "future", data: '{"type":"future_event"}' })).toEqual([]);
    expect(converter.event({ data: "not json" })).toEqual([]);
  });
});

function readFixture(name: string): string {
  return readText(new URL(`./fixtures/openai-client/${name}.in.sse`, import.meta.url));
}
