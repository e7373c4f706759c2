/**
 * Segments → markup → the shared reasoning module. The tiny model cannot produce gpt-oss's
 * analysis-then-final flow, so it is covered here with the pieces node-llama-cpp's HarmonyChatWrapper
 * emits for it.
 */
import { describe, expect, it } from "vitest";
import { ChatChunkWriter, chatCompletion } from "../../src/serve/chat-response.js";
import type { GeneratedPiece } from "../../src/serve/engine.js";
import { ReasoningMarkup } from "../../src/serve/reasoning-markup.js";
import { comment, final, thought } from "./fake-engine.js";

function markup(modelType: string, pieces: readonly GeneratedPiece[]): string {
  const writer = new ReasoningMarkup(modelType);
  return pieces.map((piece) => writer.write(piece)).join("");
}

const meta = { id: "chatcmpl-1", created: 1, model: "m" };
const tokens = { prompt: 10, completion: 12 };
const countTokens = (text: string) => text.length;

describe("ReasoningMarkup", () => {
  it("writes harmony messages for gpt-oss", () => {
    const pieces = [thought("", true), thought("2+2"), thought("?"), comment("note", true), final("4")];
    expect(markup("gpt-oss", pieces)).toBe(
      "<|channel|>analysis<|message|>2+2?<|end|><|channel|>commentary<|message|>note<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>4",
    );
  });

  it("starts a new harmony message for each opened segment", () => {
    expect(markup("gpt-oss", [thought("hm", true), thought("hm", true)])).toBe(
      "<|channel|>analysis<|message|>hm<|end|><|channel|>analysis<|message|>hm",
    );
  });

  it("writes think tags for think and generic models, and leaves plain text alone", () => {
    expect(markup("qwen3", [thought("", true), thought("Ok"), final("Hi.")])).toBe("<think>Ok</think>Hi.");
    expect(markup("generic", [final("<think>\nOk\n</think>Hi.")])).toBe("<think>\nOk\n</think>Hi.");
    expect(markup("qwen3", [final("Hi")])).toBe("Hi");
  });
});

describe("chat responses from markup (the harmony flow end to end)", () => {
  const pieces = [
    thought("", true),
    thought("User asks capital."),
    comment("Be honest.", true),
    final("Washington"),
  ];
  const text = markup("gpt-oss", pieces);
  const separation = {
    modelType: "gpt-oss",
    separateThinking: true,
    includeChannels: ["analysis", "final"] as const,
    reasoningLevel: "medium" as const,
    countTokens,
    implicitOpen: false,
  };

  it("gives the Python model server's whole response", () => {
    const completion = chatCompletion(meta, text, "stop", tokens, separation);
    expect(completion.reasoning_level).toBe("medium");
    expect(completion.choices?.[0]?.message).toEqual({
      role: "assistant",
      content: "Washington",
      refusal: null,
      reasoning_content: "User asks capital.\nBe honest.",
      thinking: {
        analysis: "User asks capital.",
        commentary: "Be honest.",
        raw: "[Analysis]\nUser asks capital.[Commentary]\nBe honest.",
      },
      channels: { analysis: "User asks capital.", final: "Washington" },
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 12,
      total_tokens: 22,
      thinking_tokens: "User asks capital.".length + "Be honest.".length,
      channel_tokens: { analysis: 18, commentary: 10, final: 10 },
    });
  });

  it("streams the same text split into reasoning and content deltas, with the same usage", () => {
    const writer = new ChatChunkWriter(meta, separation, true);
    const chunks = [...writer.start()];
    const markupWriter = new ReasoningMarkup("gpt-oss");
    for (const piece of pieces) chunks.push(...writer.text(markupWriter.write(piece)));
    chunks.push(...writer.finish("stop", tokens));
    let content = "";
    let reasoning = "";
    for (const chunk of chunks) {
      const delta = chunk.choices?.[0]?.delta ?? {};
      content += typeof delta.content === "string" ? delta.content : "";
      reasoning += typeof delta.reasoning_content === "string" ? delta.reasoning_content : "";
    }
    expect(content).toBe("Washington");
    expect(reasoning).toBe("User asks capital.\nBe honest.");
    expect(chunks.at(-2)?.choices?.[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: chatCompletion(meta, text, "stop", tokens, separation).usage,
    });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });
});
