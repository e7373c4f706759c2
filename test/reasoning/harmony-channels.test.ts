import { describe, expect, it } from "vitest";
import { channelFromName, parseHarmony } from "../../src/reasoning/harmony-channels.js";

const full =
  "<|start|>assistant<|channel|>analysis<|message|>User asks capital.<|end|>" +
  "<|start|>assistant<|channel|>commentary<|message|>Be honest.<|end|>" +
  "<|start|>assistant<|channel|>final<|message|>Washington<|return|>";

describe("parseHarmony", () => {
  it.each([
    ["analysis, commentary, final", full, ["User asks capital.", "Be honest.", "Washington"]],
    [
      "missing <|start|>assistant",
      full.replace("<|start|>assistant", ""),
      ["User asks capital.", "Be honest.", "Washington"],
    ],
    [
      "mock shape: no final terminator",
      "<|channel|>analysis<|message|>think<|end|><|start|>assistant<|channel|>final<|message|>answer",
      ["think", "", "answer"],
    ],
    [
      "missing <|end|> before the next header",
      "<|channel|>analysis<|message|>a<|start|>assistant<|channel|>final<|message|>b",
      ["a", "", "b"],
    ],
    [
      "channel suffixes and constrain",
      "<|channel|>analysis<|message|>need weather<|end|>" +
        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>" +
        '{"city":"Oslo"}<|call|>',
      ["need weather", '{"city":"Oslo"}', ""],
    ],
    [
      "recipient in the role part",
      '<|start|>assistant to=functions.f<|channel|>commentary json<|message|>{"a":1}<|call|>',
      ["", '{"a":1}', ""],
    ],
    [
      "several analysis segments join with a newline",
      "<|channel|>analysis<|message|>one<|end|><|start|>assistant<|channel|>commentary<|message|>c<|end|>" +
        "<|start|>assistant<|channel|>analysis<|message|>two<|end|><|start|>assistant<|channel|>final<|message|>F",
      ["one\ntwo", "c", "F"],
    ],
    ["no markers: all final", "just an answer <b>|x|</b>", ["", "", "just an answer <b>|x|</b>"]],
    ["text after <|end|> is final", "<|channel|>final<|message|>A<|end|>B", ["", "", "A\nB"]],
    ["header without channel is final", "<|start|>assistant<|message|>hi<|end|>", ["", "", "hi"]],
    ["unknown channel is final", "<|channel|>weird<|message|>x", ["", "", "x"]],
    [
      "unterminated header emits nothing",
      "<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>fin",
      ["a", "", ""],
    ],
    [
      "stray message tokens are dropped",
      "<|channel|>analysis<|message|>a<|message|>b<|constrain|>c",
      ["abc", "", ""],
    ],
    ["think tags are literal", "<|channel|>final<|message|><think>x</think>", ["", "", "<think>x</think>"]],
    ["unknown special tokens are literal", "<|channel|>final<|message|>a<|im_end|>", ["", "", "a<|im_end|>"]],
  ])("%s", (_name, text, [analysis, commentary, final]) => {
    expect(parseHarmony(text).channels).toEqual({ analysis, commentary, final });
  });

  it("keeps segments in output order", () => {
    const text =
      "<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>commentary<|message|>c<|end|>" +
      "<|start|>assistant<|channel|>analysis<|message|>b";
    expect(parseHarmony(text).segments).toEqual([
      { channel: "analysis", text: "a" },
      { channel: "commentary", text: "c" },
      { channel: "analysis", text: "b" },
    ]);
  });
});

describe("channelFromName", () => {
  it.each([
    ["analysis", "analysis"],
    [" commentary to=functions.x ", "commentary"],
    ["COMMENTARY", "commentary"],
    ["final", "final"],
    ["analysisX", "final"],
    ["", "final"],
  ])("%j → %s", (name, channel) => {
    expect(channelFromName(name)).toBe(channel);
  });
});
