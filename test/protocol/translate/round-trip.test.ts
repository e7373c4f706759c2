/**
 * Translating there and back must give back what went in: requests (Anthropic → OpenAI → Anthropic
 * and the reverse), responses, and streams, with thinking signatures and redacted thinking intact.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type {
  AnthropicMessage,
  AnthropicMessagesRequest,
  AnthropicResponseBlock,
  AnthropicStreamEvent,
} from "../../../src/protocol/anthropic/types.js";
import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import { OpenAIToAnthropic } from "../../../src/protocol/translate/openai-to-anthropic.js";
import type { OpenAIChatRequest } from "../../../src/protocol/translate/openai-types.js";
import type { Translator } from "../../../src/protocol/translate/translator.js";
import { accumulate, convert, fixedOptions, parseSse } from "./helpers.js";

function forward(translator: Translator, body: unknown): unknown {
  const result = translator.request(body);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.body)}`);
  return result.body;
}

/** client → backend → client, through the two translators. */
function anthropicThereAndBack(body: AnthropicMessagesRequest): unknown {
  return forward(new OpenAIToAnthropic(), forward(new AnthropicToOpenAI(), body));
}

function openAIThereAndBack(body: OpenAIChatRequest): unknown {
  return forward(new AnthropicToOpenAI(), forward(new OpenAIToAnthropic(), body));
}

const SIGNATURE_1 = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBAtI4tW8LjcMS";
const SIGNATURE_2 = "ErUBCkYIBRgCIkD3aG6MGj0Kq6ot";

const agentTurn: AnthropicMessagesRequest = {
  model: "claude-sonnet-4-5",
  max_tokens: 20000,
  system: [{ type: "text", text: "You are a careful agent." }],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What's in this picture, and what's the weather there?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      ],
    },
    {
      role: "assistant",
      content: [
        {
          type: "thinking",
          thinking: "The picture shows Paris. I need the weather.",
          signature: SIGNATURE_1,
        },
        {
          type: "redacted_thinking",
          data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
        },
        { type: "text", text: "That's Paris. Checking the weather." },
        { type: "tool_use", id: "toolu_01", name: "weather", input: { city: "Paris", units: ["C"] } },
        { type: "tool_use", id: "toolu_02", name: "forecast", input: { _raw_arguments: '{"city": "Par' } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01", content: "18C, sunny" },
        { type: "tool_result", tool_use_id: "toolu_02", content: "malformed arguments", is_error: true },
        { type: "text", text: "Keep going." },
      ],
    },
    {
      role: "assistant",
      content: [{ type: "thinking", thinking: "Summarise.", signature: SIGNATURE_2 }],
    },
  ],
  tools: [
    {
      name: "weather",
      description: "Current weather",
      input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
    { name: "forecast", input_schema: { type: "object" } },
  ],
  tool_choice: { type: "auto", disable_parallel_tool_use: true },
  thinking: { type: "enabled", budget_tokens: 8192 },
  stop_sequences: ["\n\nHuman:"],
  temperature: 1,
  metadata: { user_id: "user-7" },
  stream: true,
};

const plainTurn: AnthropicMessagesRequest = {
  model: "claude-haiku-4-5",
  max_tokens: 512,
  system: "Answer in one word.",
  messages: [
    { role: "user", content: "Capital of Italy?" },
    { role: "assistant", content: "Rome" },
    { role: "user", content: [{ type: "image", source: { type: "url", url: "https://example.com/a.png" } }] },
  ],
  tools: [{ name: "lookup", description: "Look up", input_schema: { type: "object" } }],
  tool_choice: { type: "tool", name: "lookup" },
  temperature: 0.3,
  top_p: 0.9,
  top_k: 50,
  stream: false,
};

describe("requests there and back", () => {
  it.each([
    ["an agent turn with thinking, redacted thinking, images and tool results", agentTurn],
    ["a plain turn with sampling and a forced tool", plainTurn],
  ])("Anthropic → OpenAI → Anthropic: %s", (_name, body) => {
    expect(anthropicThereAndBack(body)).toEqual(body);
  });

  it("OpenAI → Anthropic → OpenAI keeps signed reasoning, tool calls and results", () => {
    const body: OpenAIChatRequest = {
      model: "gpt-x",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: [{ type: "text", text: "Look it up" }] },
        {
          role: "assistant",
          content: null,
          reasoning_content: "Need a lookup.",
          thinking_blocks: [{ type: "thinking", thinking: "Need a lookup.", signature: SIGNATURE_1 }],
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "found" },
        { role: "user", content: [{ type: "text", text: "And?" }] },
      ],
      max_tokens: 400,
      stop: ["STOP"],
      temperature: 0.5,
      user: "u",
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
      tool_choice: "required",
      stream: true,
      stream_options: { include_usage: true },
    };
    expect(openAIThereAndBack(body)).toEqual(body);
  });
});

describe("responses there and back", () => {
  it("Anthropic message → OpenAI completion → Anthropic message", () => {
    const message: AnthropicMessage = {
      id: "msg_01",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [
        { type: "thinking", thinking: "Let me think.", signature: SIGNATURE_1 },
        { type: "redacted_thinking", data: "EmwKAhgB" },
        { type: "text", text: "Calling the tool." },
        { type: "tool_use", id: "toolu_01", name: "weather", input: { city: "Rome" } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 30, output_tokens: 70, cache_read_input_tokens: 1200 },
    };
    const completion = new OpenAIToAnthropic(fixedOptions()).response(message);
    const back = new AnthropicToOpenAI(fixedOptions()).response(completion);
    expect({ ...back, id: message.id }).toEqual(message);
  });

  it.each(["end_turn", "max_tokens", "tool_use", "refusal"] as const)(
    "stop reason %s survives",
    (stopReason) => {
      const content: AnthropicResponseBlock[] =
        stopReason === "tool_use"
          ? [{ type: "tool_use", id: "t", name: "f", input: {} }]
          : [{ type: "text", text: "x" }];
      const message: AnthropicMessage = {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "m",
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      };
      const completion = new OpenAIToAnthropic(fixedOptions()).response(message);
      expect(new AnthropicToOpenAI(fixedOptions()).response(completion).stop_reason).toBe(stopReason);
    },
  );

  it("a stop sequence survives through vLLM's stop_reason", () => {
    const message: AnthropicMessage = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: "x" }],
      stop_reason: "stop_sequence",
      stop_sequence: "END",
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    const back = new AnthropicToOpenAI(fixedOptions()).response(
      new OpenAIToAnthropic(fixedOptions()).response(message),
    );
    expect({ stop_reason: back.stop_reason, stop_sequence: back.stop_sequence }).toEqual({
      stop_reason: "stop_sequence",
      stop_sequence: "END",
    });
  });
});

// ---- streams: a message streamed as Anthropic events, relayed through an OpenAI client-facing stream
// and back, must accumulate to the same blocks.

/** Anthropic's stream for `blocks`, each text/thinking/JSON string cut where `cuts` says. */
function anthropicEvents(blocks: readonly AnthropicResponseBlock[], cuts: readonly number[]): string {
  const events: AnthropicStreamEvent[] = [
    {
      type: "message_start",
      message: {
        id: "msg_rt",
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      },
    },
  ];
  const pieces = (text: string) => {
    const at = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
    return [0, ...at, text.length].slice(1).map((end, i, ends) => text.slice(i === 0 ? 0 : ends[i - 1], end));
  };
  blocks.forEach((block, index) => {
    const delta = (d: Extract<AnthropicStreamEvent, { type: "content_block_delta" }>["delta"]) =>
      events.push({ type: "content_block_delta", index, delta: d });
    if (block.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      for (const text of pieces(block.text)) if (text !== "") delta({ type: "text_delta", text });
    } else if (block.type === "thinking") {
      events.push({
        type: "content_block_start",
        index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      });
      for (const thinking of pieces(block.thinking))
        if (thinking !== "") delta({ type: "thinking_delta", thinking });
      delta({ type: "signature_delta", signature: block.signature });
    } else if (block.type === "tool_use") {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      for (const partial of pieces(JSON.stringify(block.input)))
        delta({ type: "input_json_delta", partial_json: partial });
    } else {
      events.push({ type: "content_block_start", index, content_block: block });
    }
    events.push({ type: "content_block_stop", index });
  });
  const stopReason = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 9 },
    },
    { type: "message_stop" },
  );
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join("");
}

function relay(anthropicSse: string): string {
  const openAISse = convert(new OpenAIToAnthropic(fixedOptions()).stream(), parseSse([anthropicSse]));
  return convert(new AnthropicToOpenAI(fixedOptions()).stream(), parseSse([openAISse]));
}

const word = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" });
const jsonInput = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 6 }),
  fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 })),
  { maxKeys: 4 },
);
const block: fc.Arbitrary<AnthropicResponseBlock> = fc.oneof(
  word.map((text) => ({ type: "text" as const, text })),
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.base64String({ minLength: 4, maxLength: 24 }))
    .map(([thinking, signature]) => ({ type: "thinking" as const, thinking, signature })),
  fc
    .base64String({ minLength: 4, maxLength: 24 })
    .map((data) => ({ type: "redacted_thinking" as const, data })),
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,8}$/), jsonInput)
    .map(([name, input]) => ({ type: "tool_use" as const, id: `toolu_${name}`, name, input })),
);
// OpenAI text has no block boundaries, so two text blocks in a row come back as one.
const blocks = fc
  .array(block, { minLength: 1, maxLength: 6 })
  .filter((list) => list.every((b, i) => !(b.type === "text" && list[i - 1]?.type === "text")));

describe("streams there and back", () => {
  it("Anthropic events → OpenAI chunks → Anthropic events keep every block, signatures included", () => {
    fc.assert(
      fc.property(blocks, fc.array(fc.nat(40), { maxLength: 4 }), (original, cuts) => {
        const { blocks: back, stopReason } = accumulate(relay(anthropicEvents(original, cuts)));
        expect(back).toEqual(original);
        expect(stopReason).toBe(original.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
      }),
      { numRuns: 100 },
    );
  });
});
