/**
 * Responses over an Anthropic backend: the composition itself (requests, refusals, errors, frames
 * fed between the two converters) and the round trip that matters most, signed thinking blocks
 * that leave as a sealed blob and come back to Anthropic intact on the next turn.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AnthropicMessagesRequest } from "../../../src/protocol/anthropic/types.js";
import { createReasoningSealer } from "../../../src/protocol/responses/sealed-reasoning.js";
import type { ResponsesOutputItem } from "../../../src/protocol/responses/types.js";
import { composeTranslators, parseFrames } from "../../../src/protocol/translate/compose.js";
import { createResponsesToAnthropic } from "../../../src/protocol/translate/responses-to-anthropic.js";
import { validateOpenAI } from "../../helpers/openapi.js";
import { convert, parseSse } from "./helpers.js";
import { finalResponse, responsesOptions } from "./responses-helpers.js";

const sealer = createReasoningSealer(randomBytes(32));
const tools = [
  {
    type: "namespace",
    name: "mcp__calc",
    description: "Calculator.",
    tools: [{ type: "function", name: "add", parameters: { type: "object" } }],
  },
];

function event(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

/** Anthropic streams signed thinking, then a tool call. */
const anthropicStream = [
  event("message_start", {
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude",
      content: [],
      usage: { input_tokens: 9 },
    },
  }),
  event("content_block_start", {
    index: 0,
    content_block: { type: "thinking", thinking: "", signature: "" },
  }),
  event("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "Add them." } }),
  event("content_block_delta", { index: 0, delta: { type: "signature_delta", signature: "sig-abc" } }),
  event("content_block_stop", { index: 0 }),
  event("content_block_start", {
    index: 1,
    content_block: { type: "redacted_thinking", data: "redacted-xyz" },
  }),
  event("content_block_stop", { index: 1 }),
  event("content_block_start", {
    index: 2,
    content_block: { type: "tool_use", id: "toolu_1", name: "mcp__calc__add", input: {} },
  }),
  event("content_block_delta", {
    index: 2,
    delta: { type: "input_json_delta", partial_json: '{"a":2,"b":2}' },
  }),
  event("content_block_stop", { index: 2 }),
  event("message_delta", {
    delta: { stop_reason: "tool_use", stop_sequence: null },
    usage: { output_tokens: 20 },
  }),
  event("message_stop", {}),
].join("");

describe("Responses over an Anthropic backend", () => {
  it("returns Anthropic's signed thinking blocks to it on the next turn (stateless client)", () => {
    const first = createResponsesToAnthropic(responsesOptions({ sealer }));
    const request = {
      model: "claude",
      input: "What is 2+2?",
      tools,
      reasoning: { effort: "low" },
      include: ["reasoning.encrypted_content"],
      store: false,
      stream: true,
    };
    expect(first.request(request).ok).toBe(true);
    const response = finalResponse(convert(first.stream(), parseSse([anthropicStream])));
    validateOpenAI("Response", response);
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    expect(response.output[1]).toMatchObject({ name: "add", namespace: "mcp__calc", call_id: "toolu_1" });

    // What Codex sends back: the items without reasoning text, then the tool's output.
    const echoed = response.output.map((item: ResponsesOutputItem) => {
      if (item.type !== "reasoning") return item;
      const { content: _text, ...rest } = item;
      return rest;
    });
    const second = createResponsesToAnthropic(responsesOptions({ sealer }));
    const next = second.request({
      ...request,
      input: [
        "What is 2+2?",
        ...echoed,
        { type: "function_call_output", call_id: "toolu_1", output: "4" },
      ].map((item) => (typeof item === "string" ? { role: "user", content: item } : item)),
    });
    expect(next.ok).toBe(true);
    const body = (next as { body: AnthropicMessagesRequest }).body;
    expect(body.messages).toEqual([
      { role: "user", content: "What is 2+2?" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Add them.", signature: "sig-abc" },
          { type: "redacted_thinking", data: "redacted-xyz" },
          { type: "tool_use", id: "toolu_1", name: "mcp__calc__add", input: { a: 2, b: 2 } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "4" }] },
    ]);
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
  });

  it("gives the JSON path the same output as the stream", () => {
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude",
      content: [
        { type: "thinking", thinking: "Add them.", signature: "sig-abc" },
        { type: "redacted_thinking", data: "redacted-xyz" },
        { type: "tool_use", id: "toolu_1", name: "mcp__calc__add", input: { a: 2, b: 2 } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 9, output_tokens: 20 },
    };
    const json = createResponsesToAnthropic(responsesOptions());
    json.request({ model: "claude", input: "2+2", tools, include: ["reasoning.encrypted_content"] });
    const streamed = createResponsesToAnthropic(responsesOptions());
    streamed.request({
      model: "claude",
      input: "2+2",
      tools,
      include: ["reasoning.encrypted_content"],
      stream: true,
    });
    const fromJson = json.response(message);
    const fromStream = finalResponse(convert(streamed.stream(), parseSse([anthropicStream])));
    expect(fromStream.output).toEqual(fromJson.output);
    expect(fromStream.usage).toEqual(fromJson.usage);
  });

  it("answers the inner translator's refusal in the client's shape, and Anthropic errors as OpenAI's", () => {
    const translator = createResponsesToAnthropic(responsesOptions());
    const refused = translator.request({
      model: "claude",
      input: [{ role: "user", content: [{ type: "input_image", image_url: "ftp://example.com/x.png" }] }],
    });
    expect(refused.ok).toBe(false);
    validateOpenAI("ErrorResponse", (refused as { body: unknown }).body);
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("http(s)") } },
    });
    const error = translator.error(529, {
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
    expect(error).toEqual({
      error: { message: "Overloaded", type: "server_error", param: null, code: "overloaded_error" },
    });
  });

  it("exposes the outer translator's dropped tools", () => {
    const translator = createResponsesToAnthropic(responsesOptions());
    translator.request({
      model: "claude",
      input: "hi",
      tools: [...tools, { type: "file_search", vector_store_ids: [] }],
    });
    expect(translator.droppedTools).toEqual(["file_search"]);
    expect(translator.client).toBe("responses");
    expect(translator.backend).toBe("anthropic");
  });
});

describe("composeTranslators", () => {
  it("merges request headers, inner last", () => {
    const outer = {
      ...identity("openai"),
      request: (body: unknown) => ({ ok: true as const, body, path: "/a", headers: { a: "1", b: "1" } }),
    };
    const inner = {
      ...identity("anthropic"),
      request: (body: unknown) => ({ ok: true as const, body, path: "/b", headers: { b: "2" } }),
    };
    expect(composeTranslators(outer, inner).request({ x: 1 })).toEqual({
      ok: true,
      body: { x: 1 },
      path: "/b",
      headers: { a: "1", b: "2" },
    });
  });

  it("parses frames back into events, multi-line data and unnamed events included", () => {
    expect(
      parseFrames(["event: a\ndata: 1\n\n", "data: x\ndata: y\n\ndata: [DONE]\n\n", ": comment\n\n"]),
    ).toEqual([
      { event: "a", data: "1" },
      { event: undefined, data: "x\ny" },
      { event: undefined, data: "[DONE]" },
    ]);
  });
});

function identity(protocol: "openai" | "anthropic") {
  return {
    client: protocol,
    backend: protocol,
    pipesBytes: false,
    request: (body: unknown) => ({ ok: true as const, body, path: "/", headers: {} }),
    response: (body: unknown) => body,
    error: (_status: number, body: unknown) => body,
    stream: () => ({ event: () => [], end: () => [], fail: () => [] }),
  };
}
