import { describe, expect, it } from "vitest";
import {
  CHARS_PER_TOKEN,
  estimateInputTokens,
  requestText,
  TOKENS_PER_IMAGE,
  TOKENS_PER_MESSAGE,
} from "../../../src/protocol/anthropic/token-estimate.js";

describe("requestText", () => {
  it("collects system, message blocks, tool calls and results, thinking and tool definitions", () => {
    const { text, messages, media } = requestText({
      model: "m",
      system: [{ type: "text", text: "Be brief." }],
      messages: [
        { role: "user", content: "List files." },
        { role: "system", content: "Plan mode." },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Use ls.", signature: "s" },
            { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "a.txt" }] },
            { type: "image", source: { type: "url", url: "https://x/y.png" } },
          ],
        },
      ],
      tools: [{ name: "Bash", description: "Run.", input_schema: { type: "object" }, cache_control: {} }],
    });
    expect(text.split("\n")).toEqual([
      "Be brief.",
      "List files.",
      "Plan mode.",
      "Use ls.",
      'Bash {"command":"ls"}',
      "a.txt",
      '{"name":"Bash","description":"Run.","input_schema":{"type":"object"}}',
    ]);
    expect(messages).toBe(4);
    expect(media).toBe(1);
  });

  it("treats a malformed body as no text", () => {
    expect(requestText("hello")).toEqual({ text: "", messages: 0, media: 0 });
    expect(requestText({ messages: [null, { content: 7 }], tools: "x" })).toEqual({
      text: "",
      messages: 2,
      media: 0,
    });
  });
});

describe("estimateInputTokens", () => {
  it("is about four characters a token, plus framing per message and a flat figure per image", () => {
    const text = "x".repeat(4 * CHARS_PER_TOKEN * 10 + 1);
    const estimate = estimateInputTokens({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text },
            { type: "image", source: {} },
          ],
        },
      ],
    });
    expect(estimate).toBe(41 + TOKENS_PER_MESSAGE + TOKENS_PER_IMAGE);
  });
});
