import { describe, expect, it } from "vitest";
import { PROMPT_PREFIX_CHARS, promptPrefix } from "../../src/protocol/prompt-prefix.js";

describe("promptPrefix", () => {
  it("gives an OpenAI conversation and its Anthropic twin the same prefix", () => {
    const openai = promptPrefix(undefined, [
      { role: "system", content: "You are terse." },
      { role: "user", content: [{ type: "text", text: "Hi" }] },
    ]);
    const anthropic = promptPrefix("You are terse.", [{ role: "user", content: "Hi" }]);
    expect(openai).toBe("You are terse.Hi");
    expect(anthropic).toBe(openai);
  });

  it("stops at PROMPT_PREFIX_CHARS and ignores what carries no text", () => {
    const long = "x".repeat(PROMPT_PREFIX_CHARS * 2);
    expect(promptPrefix(null, [null, 3, { content: { text: 1 } }, { content: [null, { text: long }] }])).toBe(
      "x".repeat(PROMPT_PREFIX_CHARS),
    );
  });
});
