import { describe, expect, it } from "vitest";
import { AnthropicTokenReader } from "../../src/bench/llm/anthropic-events.js";
import { OpenAITokenReader } from "../../src/bench/llm/openai-events.js";

const chunk = (delta: Record<string, unknown>) =>
  JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: null }],
  });

describe("OpenAITokenReader", () => {
  it("times each delta with output, takes usage, completes at [DONE]", () => {
    const reader = new OpenAITokenReader();
    reader.onEvent({ data: chunk({ role: "assistant", content: "" }) }, 1);
    reader.onEvent({ data: chunk({ content: "Hel" }) }, 10);
    reader.onEvent({ data: chunk({ reasoning_content: "hmm" }) }, 12);
    reader.onEvent({ data: chunk({ content: "lo" }) }, 15);
    reader.onEvent({ data: JSON.stringify({ choices: [], usage: { completion_tokens: 9 } }) }, 16);
    expect(reader.complete()).toBe(false);
    reader.onEvent({ data: "[DONE]" }, 17);
    expect(reader.tokenTimes).toEqual([10, 12, 15]);
    expect(reader.outputTokens()).toBe(9);
    expect(reader.complete()).toBe(true);
  });

  it("counts events when no usage comes, and an error chunk makes the stream incomplete", () => {
    const reader = new OpenAITokenReader();
    reader.onEvent({ data: chunk({ content: "a" }) }, 1);
    reader.onEvent({ data: "not json" }, 2);
    reader.onEvent({ data: JSON.stringify({ error: { message: "upstream died" } }) }, 3);
    reader.onEvent({ data: "[DONE]" }, 4);
    expect(reader.outputTokens()).toBe(1);
    expect(reader.complete()).toBe(false);
  });

  it("reads a whole JSON body's usage", () => {
    const reader = new OpenAITokenReader();
    reader.onBody({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 21 } });
    expect(reader.outputTokens()).toBe(21);
    expect(reader.complete()).toBe(true);
  });
});

describe("AnthropicTokenReader", () => {
  const event = (type: string, data: Record<string, unknown>) => ({
    event: type,
    data: JSON.stringify({ type, ...data }),
  });

  it("times text and thinking deltas (not signatures), takes usage, completes at message_stop", () => {
    const reader = new AnthropicTokenReader();
    reader.onEvent(event("message_start", { message: { usage: { input_tokens: 5, output_tokens: 0 } } }), 1);
    reader.onEvent(event("content_block_start", { index: 0 }), 2);
    reader.onEvent(event("ping", {}), 3);
    reader.onEvent(event("content_block_delta", { delta: { type: "thinking_delta", thinking: "x" } }), 4);
    reader.onEvent(event("content_block_delta", { delta: { type: "signature_delta", signature: "s" } }), 5);
    reader.onEvent(event("content_block_delta", { delta: { type: "text_delta", text: "hi" } }), 6);
    reader.onEvent(event("message_delta", { usage: { output_tokens: 2 } }), 7);
    expect(reader.complete()).toBe(false);
    reader.onEvent(event("message_stop", {}), 8);
    expect(reader.tokenTimes).toEqual([4, 6]);
    expect(reader.outputTokens()).toBe(2);
    expect(reader.complete()).toBe(true);
  });

  it("is incomplete after an error event, and reads a JSON body", () => {
    const reader = new AnthropicTokenReader();
    reader.onEvent(event("error", { error: { type: "overloaded_error" } }), 1);
    reader.onEvent(event("message_stop", {}), 2);
    expect(reader.complete()).toBe(false);
    const json = new AnthropicTokenReader();
    json.onBody({ type: "message", usage: { input_tokens: 1, output_tokens: 33 } });
    expect(json.outputTokens()).toBe(33);
  });
});
