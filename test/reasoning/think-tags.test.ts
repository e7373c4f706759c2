import { describe, expect, it } from "vitest";
import { parseThinkTags } from "../../src/reasoning/think-tags.js";

describe("parseThinkTags", () => {
  it.each([
    ["plain text", "Paris", {}, "Paris", ""],
    ["one block (Qwen3 shape)", "<think>\nThe capital.\n</think>\n\nParis", {}, "Paris", "The capital."],
    ["text before the block is answer", "Sure. <think>hm</think>Paris", {}, "Sure. Paris", "hm"],
    ["newlines before <think> are kept", "A\n<think>x</think>B", {}, "A\nB", "x"],
    ["several blocks join with a newline", "<think>a</think>X<think>\nb\n</think>\nY", {}, "XY", "a\nb"],
    ["unclosed block runs to the end", "Hi <think>still going\n", {}, "Hi ", "still going"],
    ["empty thinking", "<think>\n\n</think>\n\nParis", {}, "Paris", ""],
    ["empty block adds no separator", "<think>a</think><think></think><think>b</think>", {}, "", "a\nb"],
    ["nested <think> is dropped", "<think>a<think>b</think>c", {}, "c", "ab"],
    ["stray </think> is dropped and trims", "a</think>\n\nb", {}, "ab", ""],
    ["spaces are not trimmed", "<think> a </think> b", {}, " b", " a "],
    ["\\r\\n counts as newlines", "<think>\r\na\r\n</think>\r\nb", {}, "b", "a"],
    ["inner newlines are kept", "<think>a\n\nb</think>c", {}, "c", "a\n\nb"],
    ["implicit open", "reasoning here\n</think>\n\nParis", { implicitOpen: true }, "Paris", "reasoning here"],
    ["implicit open, no close: all thinking", "still thinking", { implicitOpen: true }, "", "still thinking"],
    ["implicit open with explicit <think>", "<think>x</think>y", { implicitOpen: true }, "y", "x"],
    ["implicit open, later block", "a</think>b<think>c</think>d", { implicitOpen: true }, "bd", "a\nc"],
    ["partial tags are text", "a <thi b </think", {}, "a <thi b </think", ""],
    ["unicode", "<think>🤔 ü</think>✓", {}, "✓", "🤔 ü"],
  ])("%s", (_name, text, options, content, thinking) => {
    const parsed = parseThinkTags(text, options);
    expect(parsed.content).toBe(content);
    expect(parsed.thinking).toBe(thinking);
    expect(parsed.segments.join("\n")).toBe(thinking);
  });
});
