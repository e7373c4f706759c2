/**
 * What an upstream may send: OpenAI chunks and Anthropic events whose known fields carry right or
 * wrong types, truncated JSON, garbage, `[DONE]` anywhere; whole JSON bodies of either protocol; and
 * those events written as SSE bytes cut at random places. Plus a fake upstream HTTP server that
 * answers each request with the next planned response.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import type { SseMessage } from "../../src/protocol/translate/translator.js";
import {
  arrayOf,
  countText,
  fieldValue,
  type JsonText,
  json,
  jsonText,
  numberText,
  objectWith,
  stringText,
} from "./arbitraries.js";

const choose = (...values: unknown[]): fc.Arbitrary<JsonText> => fc.constantFrom(...values.map(json));

/** Model text made of reasoning markup pieces: `<think>`, harmony tokens, cut tags, newlines. */
export const markupText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "<think>",
        "</think>",
        "<th",
        "ink>",
        "</",
        "think",
        "<",
        ">",
        "<|channel|>",
        "<|message|>",
        "<|start|>",
        "<|end|>",
        "<|return|>",
        "<|constrain|>",
        "<|call|>",
        "<|",
        "|>",
        "analysis",
        "commentary",
        "final",
        "assistant",
        " to=functions.f ",
        "\n",
        "\n\n",
        "\r\n",
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(""));

const textValue = fieldValue(fc.oneof(stringText, markupText.map(json)));

// ---- OpenAI chunks ---------------------------------------------------------------------------------

const OPENAI_CHUNK_KEYS = ["choices", "delta", "content", "index", "tool_calls", "function", "usage"];

const toolCallDelta = objectWith({
  index: fieldValue(fc.nat(3).map(String)),
  id: fieldValue(choose("call_1", "call_2", "")),
  type: fieldValue(choose("function")),
  function: fieldValue(
    objectWith({
      name: fieldValue(choose("f", "g", "")),
      arguments: fieldValue(fc.oneof(choose('{"a":', "1}", '{"a":1}', " ", "", "}", "[1,"), stringText)),
    }),
  ),
});

const thinkingBlock = objectWith({
  type: fieldValue(choose("thinking", "redacted_thinking", "text")),
  thinking: textValue,
  signature: fieldValue(stringText),
  data: fieldValue(stringText),
});

const chunkDelta = objectWith(
  {
    role: fieldValue(choose("assistant", "user")),
    content: textValue,
    refusal: fieldValue(stringText),
    reasoning_content: textValue,
    reasoning: textValue,
    thinking_blocks: fieldValue(arrayOf(thinkingBlock, 3)),
    tool_calls: fieldValue(arrayOf(toolCallDelta, 3)),
  },
  OPENAI_CHUNK_KEYS,
);

const chunkChoice = objectWith({
  index: fieldValue(choose(0, 1, 2)),
  delta: fieldValue(chunkDelta, OPENAI_CHUNK_KEYS),
  message: fieldValue(chunkDelta),
  finish_reason: fieldValue(
    choose(null, "stop", "length", "tool_calls", "content_filter", "function_call", "eos", ""),
  ),
  stop_reason: fieldValue(fc.oneof(stringText, choose(null, 42))),
  logprobs: fieldValue(choose(null, { content: [] })),
});

export const openAIUsageText = objectWith({
  prompt_tokens: countText,
  completion_tokens: countText,
  total_tokens: countText,
  prompt_tokens_details: fieldValue(objectWith({ cached_tokens: countText })),
  completion_tokens_details: fieldValue(objectWith({ reasoning_tokens: countText })),
});

const upstreamErrorText = objectWith({
  message: fieldValue(stringText),
  type: fieldValue(choose("server_error", "invalid_request_error", "overloaded_error", "api_error")),
  code: fieldValue(fc.oneof(numberText, choose(429, 500, 503, "rate_limited"))),
});

/** One OpenAI `chat.completion.chunk` (or something in its place), as JSON text. */
export const openAIChunkText: fc.Arbitrary<JsonText> = objectWith(
  {
    id: fieldValue(choose("chatcmpl-1", "")),
    object: fieldValue(choose("chat.completion.chunk", "error")),
    created: fieldValue(numberText),
    model: fieldValue(choose("m", "")),
    choices: fieldValue(arrayOf(chunkChoice, 3), OPENAI_CHUNK_KEYS),
    usage: fieldValue(openAIUsageText),
    error: fc.oneof(upstreamErrorText, stringText),
  },
  OPENAI_CHUNK_KEYS,
);

/** A whole OpenAI `chat.completion`, as JSON text. */
export const openAICompletionText: fc.Arbitrary<JsonText> = objectWith(
  {
    id: fieldValue(choose("chatcmpl-1", "")),
    object: fieldValue(choose("chat.completion")),
    created: fieldValue(numberText),
    model: fieldValue(choose("m", "")),
    choices: fieldValue(arrayOf(chunkChoice, 3), OPENAI_CHUNK_KEYS),
    usage: fieldValue(openAIUsageText),
  },
  OPENAI_CHUNK_KEYS,
);

// ---- Anthropic events ------------------------------------------------------------------------------

const ANTHROPIC_EVENT_KEYS = ["type", "index", "delta", "content_block", "message", "usage", "text"];

const anthropicUsageText = objectWith({
  input_tokens: countText,
  output_tokens: countText,
  cache_creation_input_tokens: countText,
  cache_read_input_tokens: countText,
});

const contentBlock = objectWith(
  {
    type: fieldValue(
      choose("text", "thinking", "redacted_thinking", "tool_use", "server_tool_use", "image", "citation"),
    ),
    text: textValue,
    thinking: textValue,
    signature: fieldValue(stringText),
    data: fieldValue(stringText),
    id: fieldValue(choose("toolu_1", "")),
    name: fieldValue(choose("f", "json_answer", "respond_json", "")),
    input: jsonText(["a", "b"], 2),
  },
  ANTHROPIC_EVENT_KEYS,
);

const blockDelta = objectWith(
  {
    type: fieldValue(
      choose("text_delta", "thinking_delta", "signature_delta", "input_json_delta", "citations_delta"),
    ),
    text: textValue,
    thinking: textValue,
    signature: fieldValue(stringText),
    partial_json: fieldValue(choose('{"a":', "1}", "", "{}", "]")),
    stop_reason: fieldValue(
      choose("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", null, "x"),
    ),
    stop_sequence: fieldValue(fc.oneof(stringText, choose(null))),
  },
  ANTHROPIC_EVENT_KEYS,
);

const anthropicMessageText = objectWith(
  {
    id: fieldValue(choose("msg_1", "")),
    type: fieldValue(choose("message")),
    role: fieldValue(choose("assistant")),
    model: fieldValue(choose("claude", "")),
    content: fieldValue(arrayOf(contentBlock, 4), ANTHROPIC_EVENT_KEYS),
    stop_reason: fieldValue(choose("end_turn", "max_tokens", "stop_sequence", "tool_use", null, "x")),
    stop_sequence: fieldValue(fc.oneof(stringText, choose(null))),
    usage: fieldValue(anthropicUsageText),
  },
  ANTHROPIC_EVENT_KEYS,
);

/** One Anthropic stream event (or something in its place), as JSON text. */
export const anthropicEventText: fc.Arbitrary<JsonText> = objectWith(
  {
    type: fieldValue(
      choose(
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
      ),
    ),
    index: fieldValue(fc.oneof(fc.nat(3).map(String), choose(-1, 0.5, "0"))),
    message: fieldValue(anthropicMessageText),
    content_block: fieldValue(contentBlock, ANTHROPIC_EVENT_KEYS),
    delta: fieldValue(blockDelta, ANTHROPIC_EVENT_KEYS),
    usage: fieldValue(anthropicUsageText),
    error: fieldValue(upstreamErrorText),
  },
  ANTHROPIC_EVENT_KEYS,
);

/** A whole Anthropic message, as JSON text. */
export { anthropicMessageText };

// ---- Event sequences -------------------------------------------------------------------------------

const EVENT_NAMES = [
  "message_start",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "message_delta",
  "message_stop",
  "error",
  "ping",
  "message",
] as const;

/** Event data: a chunk of the protocol, cut short, garbage, or the end marker. */
function eventData(payload: fc.Arbitrary<JsonText>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: payload },
    {
      weight: 1,
      arbitrary: fc.tuple(payload, fc.nat()).map(([text, at]) => text.slice(0, at % text.length)),
    },
    { weight: 1, arbitrary: fc.constantFrom("[DONE]", " [DONE] ", "", "{}", "null", "[]", "{", "data: x") },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: jsonText(["type", "choices", "error"], 2) },
  );
}

/** One upstream SSE message, named like the protocol names events (or not). */
export function sseMessage(payload: fc.Arbitrary<JsonText>, named: boolean): fc.Arbitrary<SseMessage> {
  return fc.record({
    event: named
      ? fc.option(fc.oneof(fc.constantFrom(...EVENT_NAMES), fc.string({ maxLength: 8 })), { nil: undefined })
      : fc.option(fc.constantFrom<string>("error", "message", "ping"), { nil: undefined, freq: 8 }),
    data: eventData(payload),
  });
}

export const openAIStream: fc.Arbitrary<SseMessage[]> = fc.array(sseMessage(openAIChunkText, false), {
  maxLength: 16,
});

export const anthropicStream: fc.Arbitrary<SseMessage[]> = fc.array(sseMessage(anthropicEventText, true), {
  maxLength: 16,
});

/** SSE text for messages, as a server writes them (multi-line data as several `data:` lines). */
export function sseText(messages: readonly SseMessage[], lineEnd = "\n"): string {
  return messages
    .map((message) => {
      const name = message.event === undefined ? "" : `event: ${message.event}${lineEnd}`;
      const data = message.data
        .split(/\r\n|\r|\n/)
        .map((line) => `data: ${line}${lineEnd}`)
        .join("");
      return `${name}${data}${lineEnd}`;
    })
    .join("");
}

/** Bytes cut at the given offsets (modulo the length), in order. */
export function splitBytes(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((cut) => cut % bytes.length))]
    .filter((at) => at > 0)
    .sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Raw stream noise: comments, `retry:`/`id:` fields, unknown fields, CRs, a BOM, invalid UTF-8. */
export const sseNoise: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ": keep-alive\n",
        "retry: 1000\n",
        "retry: x\n",
        "id: 7\n",
        "id: a\u0000b\n",
        "foo: bar\n",
        "data\n",
        "data:\n\n",
        "event:\n",
        "\r",
        "\r\n",
        "\n",
        "\ufeff",
        "data: [DONE]\n\n",
      ),
      fc.string({ maxLength: 10 }),
    ),
    { maxLength: 6 },
  )
  .chain((parts) =>
    fc
      .option(fc.constantFrom([0xff], [0xe2, 0x82], [0xc0, 0x80], [0xf0, 0x9f, 0xa6]), { nil: undefined })
      .map((bad) =>
        Buffer.concat([Buffer.from(parts.join("")), bad === undefined ? Buffer.alloc(0) : Buffer.from(bad)]),
      ),
  );

// ---- A fake upstream -------------------------------------------------------------------------------

export interface PlannedResponse {
  status: number;
  contentType: string;
  /** Written one after another, each flushed: the gateway reads them as separate chunks. */
  chunks: readonly Buffer[];
}

export interface FakeUpstream {
  url: string;
  /** The response to give the next request (and every later one until changed). */
  plan(response: PlannedResponse): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  let planned: PlannedResponse = {
    status: 200,
    contentType: "application/json",
    chunks: [Buffer.from("{}")],
  };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.once("end", async () => {
      const { status, contentType, chunks } = planned;
      response.writeHead(status, { "content-type": contentType });
      for (const chunk of chunks) {
        response.write(chunk);
        // A turn of the event loop between writes, so they reach the gateway as separate reads.
        await new Promise((resolve) => setImmediate(resolve));
      }
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    plan(response) {
      planned = response;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Whether a message carries a chunk with a `null` choice (a known bug, see streams.test.ts). */
export function hasNullChoice(data: string): boolean {
  try {
    const value = JSON.parse(data) as { choices?: unknown };
    return Array.isArray(value?.choices) && value.choices.some((choice) => choice === null);
  } catch {
    return false;
  }
}
