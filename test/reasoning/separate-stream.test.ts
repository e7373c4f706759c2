import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HARMONY_CHANNELS, type HarmonyChannel, parseHarmony } from "../../src/reasoning/harmony-channels.js";
import type { SeparateOptions } from "../../src/reasoning/reasoning-format.js";
import { separate } from "../../src/reasoning/separate.js";
import { type ReasoningDelta, StreamSeparator } from "../../src/reasoning/separate-stream.js";
import { parseThinkTags } from "../../src/reasoning/think-tags.js";

const MODES: ReadonlyArray<readonly [string, SeparateOptions]> = [
  ["qwen3", {}],
  ["deepseek-r1", {}],
  ["gpt-oss", {}],
  ["generic", {}],
  ["generic", { implicitOpen: true }],
];

const THINK_TAGS = ["<think>", "</think>"];
const HARMONY_TOKENS = [
  "<|start|>",
  "<|channel|>",
  "<|message|>",
  "<|constrain|>",
  "<|end|>",
  "<|return|>",
  "<|call|>",
];
const HEADER_WORDS = ["assistant", "analysis", "commentary", "final", " to=functions.get_weather ", "json"];
const NEWLINES = ["\n", "\n\n", "\r\n", "\r"];
/** Pieces of tags and lookalikes: what a splitter must not mistake for a tag, or must hold back. */
const LOOKALIKES = ["<", "|", ">", "<|", "|>", "</", "<th", "</thi", "<|chan", "think>", "<|im_end|>", "<<"];
const WORDS = [" ", "Paris", "a b", "🤔", "ü"];

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...THINK_TAGS) },
  { weight: 3, arbitrary: fc.constantFrom(...HARMONY_TOKENS) },
  { weight: 2, arbitrary: fc.constantFrom(...HEADER_WORDS) },
  { weight: 3, arbitrary: fc.constantFrom(...NEWLINES) },
  { weight: 2, arbitrary: fc.constantFrom(...LOOKALIKES) },
  { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
);
const loose = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(""));

/** Realistic blocks (think blocks and harmony messages, some with parts missing), glued in random order. */
const optional = (text: string) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(text) }, { weight: 1, arbitrary: fc.constant("") });
const newlines = fc.constantFrom("", ...NEWLINES);
const words = fc
  .array(fc.constantFrom(...WORDS, ...LOOKALIKES), { minLength: 1, maxLength: 4 })
  .map((w) => w.join(""));
const thinkBlock = fc
  .tuple(optional("<think>"), newlines, words, newlines, optional("</think>"), newlines)
  .map((parts) => parts.join(""));
const harmonyMessage = fc
  .tuple(
    optional("<|start|>assistant"),
    optional("<|channel|>"),
    fc.constantFrom("analysis", "commentary", "final", "commentary to=functions.f <|constrain|>json"),
    optional("<|message|>"),
    words,
    fc.constantFrom("<|end|>", "<|return|>", "<|call|>", ""),
  )
  .map((parts) => parts.join(""));
const structured = fc
  .array(fc.oneof(thinkBlock, harmonyMessage, words, newlines), { maxLength: 6 })
  .map((parts) => parts.join(""));
const modelText = fc.oneof(loose, structured);

function splitAt(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks;
}

function run(chunks: readonly string[], modelType: string, options: SeparateOptions): ReasoningDelta[] {
  const stream = new StreamSeparator(modelType, options);
  return [...chunks.flatMap((chunk) => stream.push(chunk)), ...stream.end()];
}

function joined(deltas: readonly ReasoningDelta[], kind: ReasoningDelta["kind"]): string {
  return deltas
    .filter((delta) => delta.kind === kind)
    .map((delta) => delta.text)
    .join("");
}

function expectSameAsWhole(
  text: string,
  chunks: readonly string[],
  modelType: string,
  options: SeparateOptions,
) {
  const whole = separate(text, modelType, options);
  const deltas = run(chunks, modelType, options);
  expect(joined(deltas, "content")).toBe(whole.content);
  expect(joined(deltas, "reasoning")).toBe(whole.reasoningContent ?? "");
  for (const delta of deltas) expect(delta.text).not.toBe("");
}

const SAMPLES = [
  "Intro\n<think>\nstep one\n\nstep two\n</think>\n\nThe answer <b>|x|</b></think>\nend",
  "reasoning</think>\r\n<think>more\n</think>answer <think>open",
  "<|start|>assistant<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary " +
    'to=functions.get_weather <|constrain|>json<|message|>{"city":"Oslo"}<|call|>',
  "pre <think>t</think>\n<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>F<|return|>",
];

describe("StreamSeparator", () => {
  it.each(MODES)("matches separate() for every two-way and one-char split (%s %j)", (modelType, options) => {
    for (const sample of SAMPLES) {
      for (let cut = 0; cut <= sample.length; cut++) {
        expectSameAsWhole(sample, [sample.slice(0, cut), sample.slice(cut)], modelType, options);
      }
      expectSameAsWhole(sample, [...sample], modelType, options);
    }
  });

  it.each(MODES)("matches separate() for random texts and random splits (%s %j)", (modelType, options) => {
    fc.assert(
      fc.property(modelText, fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        expectSameAsWhole(text, splitAt(text, cuts), modelType, options);
      }),
      { seed: 1001, numRuns: 200 },
    );
  });

  it("labels deltas with their channel; per-channel text is the segments without separators", () => {
    const perChannel = (deltas: readonly ReasoningDelta[], channel: HarmonyChannel) =>
      deltas
        .filter((delta) => delta.channel === channel)
        .map((delta) => delta.text)
        .join("");
    fc.assert(
      fc.property(modelText, fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        const harmony = run(splitAt(text, cuts), "gpt-oss", {});
        for (const channel of HARMONY_CHANNELS) {
          const segments = parseHarmony(text).segments.filter((segment) => segment.channel === channel);
          expect(perChannel(harmony, channel)).toBe(segments.map((segment) => segment.text).join(""));
        }
        const think = run(splitAt(text, cuts), "qwen3", {});
        expect(perChannel(think, "analysis")).toBe(parseThinkTags(text).segments.join(""));
        expect(perChannel(think, "final")).toBe(parseThinkTags(text).content);
        expect(perChannel(think, "commentary")).toBe("");
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it("emits at once what cannot start a tag", () => {
    const stream = new StreamSeparator("qwen3");
    expect(stream.push("Hello <")).toEqual([{ kind: "content", text: "Hello ", channel: "final" }]);
    expect(stream.push(" b <th")).toEqual([{ kind: "content", text: "< b ", channel: "final" }]);
    expect(stream.push("ink>why")).toEqual([{ kind: "reasoning", text: "why", channel: "analysis" }]);
    expect(stream.push("\n\n")).toEqual([]);
    expect(stream.push(" so</thi")).toEqual([{ kind: "reasoning", text: "\n\n so", channel: "analysis" }]);
    expect(stream.push("nk>\n")).toEqual([]);
    expect(stream.push("\nParis <|")).toEqual([{ kind: "content", text: "Paris <|", channel: "final" }]);
    expect(stream.end()).toEqual([]);
  });

  it("holds back harmony token prefixes only", () => {
    const stream = new StreamSeparator("gpt-oss");
    expect(stream.push("<|chan")).toEqual([]);
    expect(stream.push("nel|>analysis<|message|>Think")).toEqual([
      { kind: "reasoning", text: "Think", channel: "analysis" },
    ]);
    expect(stream.push("ing<|e")).toEqual([{ kind: "reasoning", text: "ing", channel: "analysis" }]);
    expect(stream.push("nd|><|start|>assistant<|channel|>final<|message|>4 <")).toEqual([
      { kind: "content", text: "4 ", channel: "final" },
    ]);
    expect(stream.end()).toEqual([{ kind: "content", text: "<", channel: "final" }]);
  });

  it("emits the segment separator without a channel", () => {
    const stream = new StreamSeparator("gpt-oss");
    const deltas = stream.push(
      "<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>commentary<|message|>c<|end|>",
    );
    expect(deltas).toEqual([
      { kind: "reasoning", text: "a", channel: "analysis" },
      { kind: "reasoning", text: "\n" },
      { kind: "reasoning", text: "c", channel: "commentary" },
    ]);
  });

  it("switches an auto stream to harmony at the first harmony token", () => {
    const stream = new StreamSeparator("generic");
    expect(stream.format).toBe("think");
    stream.push("<|channel|>analysis");
    expect(stream.format).toBe("harmony");
  });

  it("refuses push after end", () => {
    const stream = new StreamSeparator("qwen3");
    stream.end();
    expect(stream.end()).toEqual([]);
    expect(() => stream.push("x")).toThrow();
  });
});
