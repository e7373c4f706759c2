import { describe, expect, it } from "vitest";
import { planReasoning } from "../../src/reasoning/reasoning-format.js";
import { formatRawThinking, separate } from "../../src/reasoning/separate.js";

const harmony =
  "<|channel|>analysis<|message|>User asks.<|end|>" +
  "<|start|>assistant<|channel|>commentary<|message|>Be honest.<|end|>" +
  "<|start|>assistant<|channel|>final<|message|>Washington<|return|>";

describe("planReasoning", () => {
  it.each([
    ["gpt-oss", "harmony", false],
    ["gpt-oss-20b", "harmony", false],
    ["GPT_OSS", "harmony", false],
    ["harmony", "harmony", false],
    ["qwen3", "think", false],
    ["deepseek-r1", "think", true],
    ["deepseek_r1_distill", "think", true],
    ["generic", "auto", false],
    ["gemma3", "auto", false],
    ["", "auto", false],
  ])("%j → %s (implicit open %s)", (modelType, format, implicitOpen) => {
    expect(planReasoning(modelType)).toEqual({ format, implicitOpen });
  });

  it("lets options override the model type", () => {
    expect(planReasoning("qwen3", { implicitOpen: true, format: "auto" })).toEqual({
      format: "auto",
      implicitOpen: true,
    });
  });
});

describe("separate", () => {
  it("gives the Python model server's shape for gpt-oss", () => {
    expect(separate(harmony, "gpt-oss")).toEqual({
      format: "harmony",
      content: "Washington",
      thinking: {
        analysis: "User asks.",
        commentary: "Be honest.",
        raw: "[Analysis]\nUser asks.[Commentary]\nBe honest.",
      },
      channels: { analysis: "User asks.", commentary: "Be honest.", final: "Washington" },
      reasoningContent: "User asks.\nBe honest.",
    });
  });

  it("maps think blocks to analysis", () => {
    expect(separate("<think>\nhm\n</think>\n\nParis", "qwen3")).toEqual({
      format: "think",
      content: "Paris",
      thinking: { analysis: "hm", commentary: "", raw: "[Analysis]\nhm" },
      channels: { analysis: "hm", commentary: "", final: "Paris" },
      reasoningContent: "hm",
    });
  });

  it("leaves out thinking and reasoningContent when there is none", () => {
    const result = separate("Paris", "generic");
    expect(result).toEqual({
      format: "think",
      content: "Paris",
      channels: { analysis: "", commentary: "", final: "Paris" },
    });
    expect("thinking" in result).toBe(false);
  });

  it("uses implicit open for deepseek-r1 only", () => {
    expect(separate("hm</think>\n\n4", "deepseek-r1").content).toBe("4");
    expect(separate("hm</think>\n\n4", "deepseek-r1").reasoningContent).toBe("hm");
    expect(separate("hm</think>\n\n4", "qwen3").content).toBe("hm4");
  });

  it("detects harmony in a generic model's text, from the first harmony token on", () => {
    expect(separate(harmony, "generic").channels).toEqual(separate(harmony, "gpt-oss").channels);
    const mixed = `Intro <think>t</think>${harmony}`;
    const result = separate(mixed, "generic");
    expect(result.format).toBe("harmony");
    expect(result.content).toBe("Intro \nWashington");
    expect(result.reasoningContent).toBe("t\nUser asks.\nBe honest.");
    expect(result.thinking?.analysis).toBe("t\nUser asks.");
  });

  it("does not detect harmony for qwen3 or parse think tags for gpt-oss", () => {
    expect(separate(harmony, "qwen3").content).toBe(harmony);
    expect(separate("<think>x</think>y", "gpt-oss").content).toBe("<think>x</think>y");
  });

  it("orders interleaved reasoning as it came", () => {
    const text =
      "<|channel|>analysis<|message|>a1<|end|><|start|>assistant<|channel|>commentary<|message|>c<|end|>" +
      "<|start|>assistant<|channel|>analysis<|message|>a2<|end|>";
    const result = separate(text, "gpt-oss");
    expect(result.reasoningContent).toBe("a1\nc\na2");
    expect(result.thinking).toEqual({
      analysis: "a1\na2",
      commentary: "c",
      raw: "[Analysis]\na1\na2[Commentary]\nc",
    });
  });

  it("formats raw thinking with only the present parts", () => {
    expect(formatRawThinking("a", "")).toBe("[Analysis]\na");
    expect(formatRawThinking("", "c")).toBe("[Commentary]\nc");
    expect(formatRawThinking("", "")).toBe("");
  });
});
