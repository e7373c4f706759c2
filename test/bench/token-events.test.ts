import { describe, expect, it } from "vitest";
import { AnthropicTokenReader } from "../../src/bench/llm/anthropic-events.js";
import { createTokenReader } from "../../src/bench/llm/observer.js";
import { OpenAITokenReader } from "../../src/bench/llm/openai-events.js";
import { ResponsesTokenReader } from "../../src/bench/llm/responses-events.js";

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

describe("ResponsesTokenReader", () => {
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown> = {}) => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: sequence++, ...data }),
  });
  const response = (status: string, outputTokens?: number) => ({
    response: {
      object: "response",
      status,
      ...(outputTokens === undefined ? {} : { usage: { input_tokens: 3, output_tokens: outputTokens } }),
    },
  });

  it("times output, reasoning and argument deltas, takes usage, completes at response.completed", () => {
    const reader = new ResponsesTokenReader();
    reader.onEvent(event("response.created", response("in_progress")), 1);
    reader.onEvent(event("response.in_progress", response("in_progress")), 2);
    reader.onEvent(event("response.output_item.added", { item: { type: "reasoning" } }), 3);
    reader.onEvent(event("response.reasoning_text.delta", { delta: "hmm" }), 4);
    reader.onEvent(event("response.content_part.added", { part: { type: "output_text", text: "" } }), 5);
    reader.onEvent(event("response.output_text.delta", { delta: "Hel" }), 6);
    reader.onEvent(event("response.output_text.delta", { delta: "" }), 7);
    reader.onEvent(event("response.output_text.delta", { delta: "lo" }), 8);
    reader.onEvent(event("response.output_text.done", { text: "Hello" }), 9);
    reader.onEvent(event("response.function_call_arguments.delta", { delta: '{"a"' }), 10);
    reader.onEvent(event("response.function_call_arguments.done", { arguments: '{"a":1}' }), 11);
    expect(reader.complete()).toBe(false);
    reader.onEvent(event("response.completed", response("completed", 7)), 12);
    expect(reader.tokenTimes).toEqual([4, 6, 8, 10]);
    expect(reader.outputTokens()).toBe(7);
    expect(reader.complete()).toBe(true);
  });

  it("ends normally at response.incomplete (max_output_tokens reached) with its usage", () => {
    const reader = new ResponsesTokenReader();
    reader.onEvent(event("response.output_text.delta", { delta: "a" }), 1);
    reader.onEvent(event("response.output_text.delta", { delta: "b" }), 2);
    reader.onEvent(event("response.incomplete", response("incomplete", 2)), 3);
    expect(reader.complete()).toBe(true);
    expect(reader.outputTokens()).toBe(2);
  });

  it("is incomplete after response.failed or an error event, and counts events without usage", () => {
    const failed = new ResponsesTokenReader();
    failed.onEvent(event("response.output_text.delta", { delta: "a" }), 1);
    failed.onEvent(event("response.failed", response("failed")), 2);
    expect(failed.complete()).toBe(false);
    expect(failed.outputTokens()).toBe(1);
    const errored = new ResponsesTokenReader();
    errored.onEvent(event("error", { code: "server_error", message: "boom" }), 1);
    errored.onEvent(event("response.completed", response("completed", 1)), 2);
    expect(errored.complete()).toBe(false);
    const cut = new ResponsesTokenReader();
    cut.onEvent({ data: "not json" }, 1);
    cut.onEvent(event("response.output_text.delta", { delta: "a" }), 2);
    expect(cut.complete()).toBe(false);
  });

  it("reads the type from the data when the event line is missing", () => {
    const reader = new ResponsesTokenReader();
    reader.onEvent({ data: JSON.stringify({ type: "response.output_text.delta", delta: "x" }) }, 5);
    reader.onEvent({ data: JSON.stringify({ type: "response.completed", ...response("completed", 1) }) }, 6);
    expect(reader.tokenTimes).toEqual([5]);
    expect(reader.complete()).toBe(true);
  });

  it("reads a whole Response object's usage", () => {
    const reader = new ResponsesTokenReader();
    reader.onBody({ object: "response", status: "completed", usage: { input_tokens: 2, output_tokens: 12 } });
    expect(reader.outputTokens()).toBe(12);
    expect(reader.complete()).toBe(true);
  });
});

describe("createTokenReader", () => {
  it("has a reader for each protocol", () => {
    expect(createTokenReader("openai")).toBeInstanceOf(OpenAITokenReader);
    expect(createTokenReader("anthropic")).toBeInstanceOf(AnthropicTokenReader);
    expect(createTokenReader("responses")).toBeInstanceOf(ResponsesTokenReader);
  });
});
