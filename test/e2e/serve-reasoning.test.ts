/**
 * Thinking separation in `switchyard serve` for the two markups: gpt-oss (harmony channels, through
 * node-llama-cpp's HarmonyChatWrapper) and a generic model whose ChatML wrapper leaves `<think>` tags in
 * the text. The tiny model's harmony path can only think ("hm", again after each `<|end|>`, until
 * max_tokens); the analysis-then-final flow is covered by unit tests of the markup (test/serve).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SeparatedBody } from "../fixtures/reasoning-request.js";
import { type ServeProcess, startTinyServe } from "../fixtures/serve-process.js";
import { TINY_MODEL } from "../fixtures/tiny-gguf.js";
import { stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";

let gptOss: ServeProcess;
let generic: ServeProcess;

beforeAll(async () => {
  [gptOss, generic] = await Promise.all([startTinyServe(["--model-type", "gpt-oss"]), startTinyServe()]);
});

afterAll(stopAll);

describe("switchyard serve: gpt-oss channels", () => {
  it("puts the analysis channel in thinking and reports the reasoning level", async () => {
    const response = await postJson<SeparatedBody>(`${gptOss.url}/v1/chat/completions`, {
      model: "tiny",
      messages: [
        { role: "system", content: "Always answer in just single word." },
        { role: "user", content: "What is the capital of the US?" },
      ],
      max_tokens: 7,
      reasoning: "high",
      separate_thinking: true,
      include_channels: ["analysis", "commentary", "final"],
      developer_instructions: "Be terse.",
    });
    expect(response.status).toBe(200);
    validateOpenAI("CreateChatCompletionResponse", response.body);
    const { message, finish_reason } = response.body.choices[0]!;
    expect(response.body.reasoning_level).toBe("high");
    expect(finish_reason).toBe("length");
    expect(message.content).toBe("");
    // Each analysis message is one segment; segments of a channel are joined with "\n".
    expect(message.thinking?.analysis.split("\n")[0]).toBe(TINY_MODEL.harmonyThought);
    expect(message.thinking?.raw.startsWith(`[Analysis]\n${TINY_MODEL.harmonyThought}`)).toBe(true);
    expect(message.channels).toEqual({ analysis: message.thinking?.analysis, commentary: "", final: "" });
    expect(response.body.usage.thinking_tokens).toBeGreaterThan(0);
    expect(response.body.usage.channel_tokens).toMatchObject({ commentary: 0, final: 0 });
  });

  it("streams the analysis as reasoning_content", async () => {
    const stream = await gptOss.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 3,
      stream: true,
    });
    let reasoning = "";
    let content = "";
    for await (const chunk of stream) {
      const delta = (chunk.choices[0]?.delta ?? {}) as { content?: string; reasoning_content?: string };
      reasoning += delta.reasoning_content ?? "";
      content += delta.content ?? "";
    }
    expect(reasoning.startsWith(TINY_MODEL.harmonyThought)).toBe(true);
    expect(content).toBe("");
  });
});

describe("switchyard serve: <think> left in the text by a generic template", () => {
  it("is separated like a segmented thought", async () => {
    const response = await postJson<SeparatedBody>(`${generic.url}/v1/chat/completions`, {
      model: "tiny",
      messages: [{ role: "user", content: "Hello" }],
      separate_thinking: true,
    });
    expect(response.status).toBe(200);
    const { message } = response.body.choices[0]!;
    expect(message.content).toBe(TINY_MODEL.answer);
    expect(message.reasoning_content).toBe(TINY_MODEL.thought);
    expect(message.thinking).toEqual({ analysis: "Ok", commentary: "", raw: "[Analysis]\nOk" });
    expect(response.body.usage.channel_tokens).toEqual({ analysis: 2, commentary: 0, final: 3 });
  });

  it("continues an assistant message (prefill)", async () => {
    const response = await postJson<SeparatedBody>(`${generic.url}/v1/chat/completions`, {
      model: "tiny",
      messages: [
        { role: "user", content: "Hello" },
        { role: "assistant", content: "H" },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body.choices[0]!.message.content).toBe("i.");
  });
});
