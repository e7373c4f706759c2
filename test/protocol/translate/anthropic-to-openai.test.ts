import { describe, expect, it } from "vitest";
import type { AnthropicMessagesRequest } from "../../../src/protocol/anthropic/types.js";
import { AnthropicToOpenAI, OPENAI_CHAT_PATH } from "../../../src/protocol/translate/anthropic-to-openai.js";
import type { OpenAIChatRequest } from "../../../src/protocol/translate/openai-types.js";
import { convert, fixedOptions, parseSse, payloads } from "./helpers.js";

function translator(): AnthropicToOpenAI {
  return new AnthropicToOpenAI(fixedOptions());
}

function request(fields: Partial<AnthropicMessagesRequest>): AnthropicMessagesRequest {
  return { model: "claude-x", max_tokens: 256, messages: [{ role: "user", content: "Hi" }], ...fields };
}

function upstream(fields: Partial<AnthropicMessagesRequest>): OpenAIChatRequest {
  const result = translator().request(request(fields));
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.body)}`);
  expect(result.path).toBe(OPENAI_CHAT_PATH);
  return result.body as OpenAIChatRequest;
}

const SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h";

describe("request: content blocks", () => {
  it.each<[string, AnthropicMessagesRequest["messages"], OpenAIChatRequest["messages"]]>([
    ["string content", [{ role: "user", content: "Hello" }], [{ role: "user", content: "Hello" }]],
    [
      "text, base64 image and url image blocks (cache_control dropped)",
      [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?", cache_control: { type: "ephemeral" } },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
      [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    ],
    [
      "assistant text and tool_use",
      [
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me look." },
            { type: "tool_use", id: "toolu_1", name: "search", input: { q: "cats", n: 2 } },
          ],
        },
      ],
      [
        {
          role: "assistant",
          content: [{ type: "text", text: "Let me look." }],
          tool_calls: [
            {
              id: "toolu_1",
              type: "function",
              function: { name: "search", arguments: '{"q":"cats","n":2}' },
            },
          ],
        },
      ],
    ],
    [
      "tool_use whose input kept malformed arguments",
      [
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "t", name: "f", input: { _raw_arguments: '{"a":' } }],
        },
      ],
      [
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: '{"a":' } }],
        },
      ],
    ],
    [
      "tool results become tool messages before the rest of the turn; their images follow",
      [
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "not found", is_error: true },
            {
              type: "tool_result",
              tool_use_id: "toolu_2",
              content: [
                { type: "text", text: "line one" },
                { type: "image", source: { type: "url", url: "https://example.com/chart.png" } },
                { type: "text", text: "line two" },
              ],
            },
            { type: "tool_result", tool_use_id: "toolu_3" },
            { type: "text", text: "Go on." },
          ],
        },
      ],
      [
        { role: "tool", tool_call_id: "toolu_1", content: "not found", is_error: true },
        { role: "tool", tool_call_id: "toolu_2", content: "line one\nline two" },
        { role: "tool", tool_call_id: "toolu_3", content: "" },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "https://example.com/chart.png" } },
            { type: "text", text: "Go on." },
          ],
        },
      ],
    ],
    [
      "a turn of only tool results is only tool messages",
      [{ role: "user", content: [{ type: "tool_result", tool_use_id: "a", content: "1" }] }],
      [{ role: "tool", tool_call_id: "a", content: "1" }],
    ],
    [
      "signed thinking and redacted thinking keep their blocks",
      [
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Plan: call search.", signature: SIGNATURE },
            { type: "redacted_thinking", data: "EmwKAhgB" },
            { type: "tool_use", id: "toolu_9", name: "search", input: {} },
          ],
        },
      ],
      [
        {
          role: "assistant",
          content: null,
          reasoning_content: "Plan: call search.",
          thinking_blocks: [
            { type: "thinking", thinking: "Plan: call search.", signature: SIGNATURE },
            { type: "redacted_thinking", data: "EmwKAhgB" },
          ],
          tool_calls: [{ id: "toolu_9", type: "function", function: { name: "search", arguments: "{}" } }],
        },
      ],
    ],
    [
      "unsigned thinking needs only reasoning_content",
      [
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "" },
            { type: "text", text: "Yes." },
          ],
        },
      ],
      [{ role: "assistant", content: [{ type: "text", text: "Yes." }], reasoning_content: "hmm" }],
    ],
  ])("%s", (_name, messages, expected) => {
    expect(upstream({ messages }).messages).toEqual(expected);
  });

  it.each<[string, AnthropicMessagesRequest["system"], OpenAIChatRequest["messages"][number] | undefined]>([
    ["string", "Be brief.", { role: "system", content: "Be brief." }],
    [
      "text blocks",
      [
        { type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Be kind." },
      ],
      {
        role: "system",
        content: [
          { type: "text", text: "Be brief." },
          { type: "text", text: "Be kind." },
        ],
      },
    ],
    ["absent", undefined, undefined],
  ])("system as %s", (_name, system, expected) => {
    const messages = upstream(system === undefined ? {} : { system }).messages;
    expect(messages.length).toBe(expected === undefined ? 1 : 2);
    if (expected !== undefined) expect(messages[0]).toEqual(expected);
  });
});

describe("request: parameters", () => {
  it("maps sampling, limits, stop sequences, user and streaming", () => {
    expect(
      upstream({
        max_tokens: 1000,
        stop_sequences: ["END", "\n\nHuman:"],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        metadata: { user_id: "user-42" },
        stream: true,
      }),
    ).toEqual({
      model: "claude-x",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 1000,
      stop: ["END", "\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      user: "user-42",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    [1024, "low"],
    [4095, "low"],
    [4096, "medium"],
    [16383, "medium"],
    [16384, "high"],
    [60000, "high"],
  ])("thinking budget %i → reasoning_effort %s, with max_completion_tokens", (budget, effort) => {
    const body = upstream({ max_tokens: 64000, thinking: { type: "enabled", budget_tokens: budget } });
    expect(body.reasoning_effort).toBe(effort);
    expect(body.max_completion_tokens).toBe(64000);
    expect(body.max_tokens).toBeUndefined();
  });

  it.each([
    [{ type: "disabled" } as const, undefined, undefined],
    [{ type: "adaptive" } as const, undefined, "medium"],
    [{ type: "adaptive" } as const, "low" as const, "low"],
    [{ type: "adaptive" } as const, "max" as const, "high"],
  ])("thinking %j with effort %s → %s", (thinking, effort, expected) => {
    const body = upstream({ thinking, ...(effort === undefined ? {} : { output_config: { effort } }) });
    expect(body.reasoning_effort).toBe(expected);
  });

  const tools = [{ name: "search", description: "Search the web", input_schema: { type: "object" } }];
  it.each<[AnthropicMessagesRequest["tool_choice"], Partial<OpenAIChatRequest>]>([
    [undefined, {}],
    [{ type: "auto" }, { tool_choice: "auto" }],
    [{ type: "any" }, { tool_choice: "required" }],
    [{ type: "none" }, { tool_choice: "none" }],
    [{ type: "tool", name: "search" }, { tool_choice: { type: "function", function: { name: "search" } } }],
    [
      { type: "any", disable_parallel_tool_use: true },
      { tool_choice: "required", parallel_tool_calls: false },
    ],
  ])("tool_choice %j", (toolChoice, expected) => {
    const body = upstream({ tools, ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }) });
    expect(body.tools).toEqual([
      {
        type: "function",
        function: { name: "search", description: "Search the web", parameters: { type: "object" } },
      },
    ]);
    expect({ tool_choice: body.tool_choice, parallel_tool_calls: body.parallel_tool_calls }).toEqual({
      tool_choice: undefined,
      parallel_tool_calls: undefined,
      ...expected,
    });
  });
});

describe("request: refusals are Anthropic 400s, never exceptions", () => {
  it.each<[string, unknown]>([
    ["a server tool", request({ tools: [{ type: "web_search_20250305", name: "web_search" } as never] })],
    ["a document block", request({ messages: [{ role: "user", content: [{ type: "document" } as never] }] })],
    [
      "an image without a known source",
      request({ messages: [{ role: "user", content: [{ type: "image" } as never] }] }),
    ],
    [
      "a tool_use block from the user",
      request({ messages: [{ role: "user", content: [{ type: "tool_use" } as never] }] }),
    ],
    ["an unknown role", request({ messages: [{ role: "tool" as never, content: "x" }] })],
    ["a null message", request({ messages: [null as never] })],
    ["no messages", { model: "m", max_tokens: 1 }],
    ["a non-object body", "hello"],
    [
      "an unknown tool_choice",
      request({ tools: [{ name: "f", input_schema: {} }], tool_choice: { type: "sometimes" } as never }),
    ],
  ])("%s", (_name, body) => {
    const result = translator().request(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("response: OpenAI completion → Anthropic message", () => {
  function completion(message: object, finish: unknown = "stop", extra: object = {}) {
    return {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o",
      choices: [
        {
          index: 0,
          message: { role: "assistant", ...message },
          finish_reason: finish,
          logprobs: null,
          ...extra,
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
    };
  }

  it.each<[unknown, object, string, string | null]>([
    ["stop", {}, "end_turn", null],
    ["length", {}, "max_tokens", null],
    ["tool_calls", {}, "tool_use", null],
    ["function_call", {}, "tool_use", null],
    ["content_filter", {}, "refusal", null],
    [null, {}, "end_turn", null],
    ["eos_token", {}, "end_turn", null],
    ["stop", { stop_reason: "END" }, "stop_sequence", "END"],
    ["stop", { stop_reason: 128001 }, "end_turn", null],
    ["length", { stop_reason: "END" }, "max_tokens", null],
  ])("finish_reason %j with %j → %s", (finish, extra, stopReason, stopSequence) => {
    const message = translator().response(completion({ content: "x" }, finish, extra));
    expect({ stop_reason: message.stop_reason, stop_sequence: message.stop_sequence }).toEqual({
      stop_reason: stopReason,
      stop_sequence: stopSequence,
    });
  });

  it("tool calls reported with finish_reason stop still stop for tool use", () => {
    const calls = [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }];
    expect(translator().response(completion({ content: null, tool_calls: calls })).stop_reason).toBe(
      "tool_use",
    );
  });

  it("orders thinking, text, then tool calls, and keeps the rest of the message", () => {
    const message = translator().response(
      completion(
        {
          content: "Done.",
          reasoning_content: "Think first.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "a", arguments: '{"x":1}' } },
            { id: "call_2", type: "function", function: { name: "b", arguments: "{oops" } },
            { type: "function", function: { name: "c", arguments: "" } },
          ],
        },
        "tool_calls",
      ),
    );
    expect(message).toEqual({
      id: "msg_chatcmpl-1",
      type: "message",
      role: "assistant",
      model: "gpt-4o",
      content: [
        { type: "thinking", thinking: "Think first.", signature: "" },
        { type: "text", text: "Done." },
        { type: "tool_use", id: "call_1", name: "a", input: { x: 1 } },
        { type: "tool_use", id: "call_2", name: "b", input: { _raw_arguments: "{oops" } },
        { type: "tool_use", id: "toolu_gen1", name: "c", input: {} },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 4 },
    });
  });

  it.each<[string, object, unknown[]]>([
    [
      "thinking_blocks win over the text fields",
      {
        reasoning_content: "a",
        thinking_blocks: [
          { type: "thinking", thinking: "a", signature: SIGNATURE },
          { type: "redacted_thinking", data: "xyz" },
          { type: "unknown" },
        ],
      },
      [
        { type: "thinking", thinking: "a", signature: SIGNATURE },
        { type: "redacted_thinking", data: "xyz" },
      ],
    ],
    ["`reasoning` spelling", { reasoning: "r" }, [{ type: "thinking", thinking: "r", signature: "" }]],
    ["a refusal", { content: null, refusal: "I can't." }, [{ type: "text", text: "I can't." }]],
    ["empty content", { content: "" }, []],
  ])("%s", (_name, message, blocks) => {
    expect(translator().response(completion(message)).content).toEqual(blocks);
  });

  it("moves cached prompt tokens to cache_read_input_tokens", () => {
    const body = {
      ...completion({ content: "x" }),
      usage: {
        prompt_tokens: 100,
        completion_tokens: 7,
        total_tokens: 107,
        prompt_tokens_details: { cached_tokens: 60 },
      },
    };
    expect(translator().response(body).usage).toEqual({
      input_tokens: 40,
      output_tokens: 7,
      cache_read_input_tokens: 60,
    });
  });

  it("names the requested model when the backend does not, and survives a body that is not a completion", () => {
    const t = translator();
    t.request(request({ model: "my-model" }));
    expect(t.response({ choices: [] })).toMatchObject({ id: "msg_gen1", model: "my-model", content: [] });
    expect(t.response("garbage")).toMatchObject({ type: "message", stop_reason: "end_turn" });
  });
});

describe("errors: OpenAI bodies → Anthropic envelope", () => {
  it.each<[number, unknown, string, string]>([
    [
      400,
      { error: { message: "bad param", type: "invalid_request_error" } },
      "invalid_request_error",
      "bad param",
    ],
    [401, { error: { message: "no key", type: "invalid_request_error" } }, "authentication_error", "no key"],
    [403, { error: { message: "nope" } }, "permission_error", "nope"],
    [
      404,
      { error: { message: "The model `x` does not exist" } },
      "not_found_error",
      "The model `x` does not exist",
    ],
    [413, "Request Entity Too Large", "request_too_large", "Request Entity Too Large"],
    [429, { error: { message: "slow down", type: "rate_limit_error" } }, "rate_limit_error", "slow down"],
    [
      500,
      { object: "error", message: "vLLM broke", type: "InternalServerError", code: 500 },
      "api_error",
      "vLLM broke",
    ],
    [503, { detail: "Service Unavailable" }, "overloaded_error", "Service Unavailable"],
    [502, "<html><body>Bad Gateway</body></html>", "api_error", "<html><body>Bad Gateway</body></html>"],
    [500, null, "api_error", "Upstream returned HTTP 500."],
    [
      422,
      { detail: [{ loc: ["body"], msg: "field required" }] },
      "invalid_request_error",
      "Upstream returned HTTP 422.",
    ],
    [400, { error: "plain string error" }, "invalid_request_error", "plain string error"],
  ])("%i %j", (status, body, type, message) => {
    expect(translator().error(status, body)).toEqual({ type: "error", error: { type, message } });
  });
});

describe("stream: errors and endings", () => {
  const chunk = (delta: object) =>
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta }],
    });

  it.each<[string, { event?: string; data: string }, string, string]>([
    [
      "an OpenAI error payload",
      { data: '{"error":{"message":"boom","type":"server_error"}}' },
      "api_error",
      "boom",
    ],
    [
      "vLLM's flat error",
      { data: '{"object":"error","message":"too long","code":400}' },
      "invalid_request_error",
      "too long",
    ],
    ["a named error event", { event: "error", data: "upstream died" }, "api_error", "upstream died"],
    [
      "a rate-limit type",
      { data: '{"error":{"message":"wait","type":"rate_limit_error"}}' },
      "rate_limit_error",
      "wait",
    ],
  ])("%s mid-stream becomes an Anthropic error event and ends the stream", (_name, error, type, message) => {
    const converter = translator().stream();
    const before = converter.event({ data: chunk({ content: "Hi" }) });
    const after = converter.event(error);
    expect(payloads(before.join("")).map((p) => p.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
    ]);
    expect(payloads(after.join(""))).toEqual([
      { event: "error", data: { type: "error", error: { type, message } } },
    ]);
    expect(converter.event({ data: chunk({ content: "more" }) })).toEqual([]);
    expect(converter.end()).toEqual([]);
  });

  it("fail() ends the stream with an error event in Anthropic's format", () => {
    const converter = translator().stream();
    converter.event({ data: chunk({ content: "Hi" }) });
    expect(payloads(converter.fail(504, "Upstream timed out").join(""))).toEqual([
      {
        event: "error",
        data: { type: "error", error: { type: "api_error", message: "Upstream timed out" } },
      },
    ]);
    expect(converter.end()).toEqual([]);
  });

  it("an empty upstream still yields a complete, empty message", () => {
    const events = payloads(convert(translator().stream(), parseSse(["data: [DONE]\n\n"])));
    expect(events.map((e) => e.event)).toEqual(["message_start", "message_delta", "message_stop"]);
  });

  it("skips data that is not JSON, and end() after [DONE] adds nothing", () => {
    const converter = translator().stream();
    expect(converter.event({ data: "not json" })).toEqual([]);
    expect(converter.event({ data: "[DONE]" }).length).toBe(3);
    expect(converter.end()).toEqual([]);
  });

  it("reports the stop sequence vLLM names", () => {
    const converter = translator().stream();
    const finish = JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: {}, finish_reason: "stop", stop_reason: "###" }],
    });
    const out = convert(converter, [{ data: chunk({ content: "a" }) }, { data: finish }]);
    expect(payloads(out).find((p) => p.event === "message_delta")?.data).toMatchObject({
      delta: { stop_reason: "stop_sequence", stop_sequence: "###" },
    });
  });

  it("tool calls without index are told apart by id; a fragment without either continues the last call", () => {
    const out = convert(translator().stream(), [
      { data: chunk({ tool_calls: [{ id: "a", function: { name: "f", arguments: '{"n":1}' } }] }) },
      { data: chunk({ tool_calls: [{ id: "b", function: { name: "g", arguments: "{" } }] }) },
      { data: chunk({ tool_calls: [{ function: { arguments: "}" } }] }) },
    ]);
    const starts = payloads(out)
      .filter((p) => p.event === "content_block_start")
      .map((p) => (p.data as { content_block: unknown }).content_block);
    expect(starts).toEqual([
      { type: "tool_use", id: "a", name: "f", input: {} },
      { type: "tool_use", id: "b", name: "g", input: {} },
    ]);
    const deltas = payloads(out)
      .filter((p) => p.event === "content_block_delta")
      .map((p) => p.data);
    expect(deltas).toEqual([
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"n":1}' } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{" } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "}" } },
    ]);
  });
});
