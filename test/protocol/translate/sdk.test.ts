/**
 * The official SDKs read what the translators write: each client gets a `fetch` that answers with a
 * translated body, and its own stream accumulator must build the expected message. This is what
 * real Anthropic and OpenAI clients of the gateway will do with the bytes.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import { OpenAIToAnthropic } from "../../../src/protocol/translate/openai-to-anthropic.js";
import { convert, fixedOptions, parseSse, readText } from "./helpers.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);

function answering(body: string, contentType: string): typeof fetch {
  return async () => new Response(body, { status: 200, headers: { "content-type": contentType } });
}

function translatedStream(direction: "anthropic-client" | "openai-client", name: string): string {
  const translator =
    direction === "anthropic-client"
      ? new AnthropicToOpenAI(fixedOptions())
      : new OpenAIToAnthropic(fixedOptions());
  const input = readText(new URL(`${direction}/${name}.in.sse`, FIXTURES));
  return convert(translator.stream(), parseSse([input]));
}

describe("@anthropic-ai/sdk reads the Anthropic side", () => {
  const client = (body: string, type = "text/event-stream") =>
    new Anthropic({
      apiKey: "test",
      baseURL: "http://gateway.test",
      fetch: answering(body, type),
      maxRetries: 0,
    });
  const params = { model: "m", max_tokens: 100, messages: [{ role: "user" as const, content: "Hi" }] };

  it("accumulates interleaved parallel tool calls", async () => {
    const message = await client(translatedStream("anthropic-client", "tool-calls"))
      .messages.stream(params)
      .finalMessage();
    expect(message.content).toEqual([
      { type: "tool_use", id: "call_paris", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_rome", name: "get_weather", input: { city: "Rome" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toMatchObject({ input_tokens: 80, output_tokens: 40 });
  });

  it("accumulates signed thinking, redacted thinking and text", async () => {
    const message = await client(translatedStream("anthropic-client", "thinking-signed"))
      .messages.stream(params)
      .finalMessage();
    expect(message.content).toEqual([
      { type: "thinking", thinking: "Let me think step by step.", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" },
      { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4a" },
      expect.objectContaining({ type: "text", text: "The answer is 4." }),
    ]);
  });

  it("raises the translated mid-stream error", async () => {
    const stream = client(translatedStream("anthropic-client", "error")).messages.stream(params);
    await expect(stream.finalMessage()).rejects.toThrow(/overloaded/);
  });

  it("reads a translated message", async () => {
    const completion = {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o",
      choices: [
        { index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop", logprobs: null },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    };
    const body = JSON.stringify(new AnthropicToOpenAI(fixedOptions()).response(completion));
    const message = await client(body, "application/json").messages.create(params);
    expect(message).toMatchObject({
      id: "msg_chatcmpl-1",
      content: [{ type: "text", text: "Hello" }],
      stop_reason: "end_turn",
    });
  });
});

describe("openai reads the OpenAI side", () => {
  const client = (body: string) =>
    new OpenAI({
      apiKey: "test",
      baseURL: "http://gateway.test/v1",
      fetch: answering(body, "text/event-stream"),
      maxRetries: 0,
    });
  const params = { model: "m", messages: [{ role: "user" as const, content: "Hi" }] };

  it("accumulates text and tool calls", async () => {
    const completion = await client(translatedStream("openai-client", "tool-calls"))
      .chat.completions.stream(params)
      .finalChatCompletion();
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("I'll check both cities.");
    expect(choice.message.tool_calls).toEqual([
      expect.objectContaining({
        id: "toolu_01Paris",
        function: expect.objectContaining({ name: "get_weather", arguments: '{"city": "Paris"}' }),
      }),
      expect.objectContaining({
        id: "toolu_01Rome",
        function: expect.objectContaining({ name: "get_weather", arguments: '{"city": "Rome"}' }),
      }),
    ]);
  });

  it("raises the translated mid-stream error", async () => {
    const stream = client(translatedStream("openai-client", "error")).chat.completions.stream(params);
    await expect(stream.finalChatCompletion()).rejects.toThrow(/Overloaded/);
  });
});
