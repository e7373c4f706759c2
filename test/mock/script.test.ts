import { describe, expect, it } from "vitest";
import {
  answerText,
  countPromptTokens,
  countTokens,
  embedVector,
  planReply,
  thinkingSignature,
  thoughtText,
  tokenize,
  vectorToBase64,
  vectorToFloats,
} from "../../src/mock/script.js";

describe("tokenize", () => {
  it("splits into words keeping the whitespace that follows", () => {
    expect(tokenize("[backend=a version=0] hello")).toEqual(["[backend=a ", "version=0] ", "hello"]);
  });

  it.each([
    "",
    "hello",
    "  leading space",
    "trailing  \n",
    "tabs\tand\nnewlines\r\n",
    "non\u00a0breaking\u2003em space",
    "emoji 🎉 and ünïcode",
  ])("joins back to the text and agrees with countTokens: %j", (text) => {
    const tokens = tokenize(text);
    expect(tokens.join("")).toBe(text);
    expect(countTokens(text)).toBe(tokens.length);
  });

  it("counts prompt tokens over every text, never below 1", () => {
    expect(countPromptTokens(["a b", "c"])).toBe(3);
    expect(countPromptTokens([""])).toBe(1);
    expect(countPromptTokens([])).toBe(1);
  });
});

describe("planReply", () => {
  const answer = answerText("a", "0", "hello world");

  it("answers with the backend, the version and the user's text", () => {
    expect(answer).toBe("[backend=a version=0] hello world");
    const plan = planReply({ answer, userText: "hello world", reasoning: "none" });
    expect(plan).toEqual({ thinking: [], text: tokenize(answer), truncated: false });
  });

  it("wraps a deterministic thought in <think> tags before the answer", () => {
    const plan = planReply({ answer, userText: "hello world", reasoning: "think" });
    expect(plan.text.join("")).toBe(`<think>${thoughtText("hello world")}</think>${answer}`);
    expect(plan.text[0]).toBe("<think>");
  });

  it("emits gpt-oss harmony channels, one token per special token", () => {
    const plan = planReply({ answer, userText: "hello world", reasoning: "harmony" });
    expect(plan.text.join("")).toBe(
      `<|channel|>analysis<|message|>${thoughtText("hello world")}<|end|>` +
        `<|start|>assistant<|channel|>final<|message|>${answer}`,
    );
    expect(plan.text.slice(0, 3)).toEqual(["<|channel|>", "analysis", "<|message|>"]);
  });

  it("returns the thought apart when asked to (Anthropic thinking blocks)", () => {
    const plan = planReply({ answer, userText: "hello world", reasoning: "harmony", separateThinking: true });
    expect(plan.thinking.join("")).toBe(thoughtText("hello world"));
    expect(plan.text.join("")).toBe(answer);
  });

  it("always returns the thought apart in split mode (a server's reasoning parser)", () => {
    const plan = planReply({ answer, userText: "hello world", reasoning: "split" });
    expect(plan.thinking.join("")).toBe(thoughtText("hello world"));
    expect(plan.text.join("")).toBe(answer);
  });

  it("ignores separateThinking when there is no reasoning", () => {
    const plan = planReply({ answer, userText: "x", reasoning: "none", separateThinking: true });
    expect(plan.thinking).toEqual([]);
  });

  it("truncates at maxTokens, reasoning included, and says so", () => {
    expect(planReply({ answer, userText: "", reasoning: "none", maxTokens: 2 })).toEqual({
      thinking: [],
      text: ["[backend=a ", "version=0] "],
      truncated: true,
    });
    const exact = planReply({ answer, userText: "", reasoning: "none", maxTokens: tokenize(answer).length });
    expect(exact.truncated).toBe(false);

    const thinking = tokenize(thoughtText("hello world"));
    const inThought = planReply({
      answer,
      userText: "hello world",
      reasoning: "think",
      separateThinking: true,
      maxTokens: 2,
    });
    expect(inThought).toEqual({ thinking: thinking.slice(0, 2), text: [], truncated: true });
    const afterThought = planReply({
      answer,
      userText: "hello world",
      reasoning: "think",
      separateThinking: true,
      maxTokens: thinking.length + 1,
    });
    expect(afterThought.text).toEqual(["[backend=a "]);
  });

  it("signs thoughts deterministically", () => {
    expect(thinkingSignature("x")).toBe(thinkingSignature("x"));
    expect(thinkingSignature("x")).not.toBe(thinkingSignature("y"));
  });
});

describe("embedVector", () => {
  const length = (vector: Float32Array) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

  it("is deterministic, unit length and content-dependent", () => {
    const a = embedVector("hello", 16);
    expect(a).toHaveLength(16);
    expect(embedVector("hello", 16)).toEqual(a);
    expect(length(a)).toBeCloseTo(1, 5);
    expect(embedVector("hellp", 16)).not.toEqual(a);
    expect(length(embedVector("", 3))).toBeCloseTo(1, 5);
    expect(embedVector("hello", 1024)).toHaveLength(1024);
  });

  it("encodes base64 as float32 little-endian, matching the float encoding", () => {
    const vector = embedVector("hello", 8);
    const bytes = Buffer.from(vectorToBase64(vector), "base64");
    expect(bytes).toHaveLength(32);
    const decoded = Array.from({ length: 8 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toEqual(vectorToFloats(vector));
  });
});
