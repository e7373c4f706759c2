import { describe, expect, it } from "vitest";
import { formatLength, meanLength, parseLength, sampleLength } from "../../src/bench/llm/lengths.js";
import { ModelMix, normaliseShares } from "../../src/bench/llm/model-mix.js";
import { seededRandom, syntheticPrompt } from "../../src/bench/llm/synthetic-prompt.js";

describe("length distributions", () => {
  it("parses fixed values and uniform ranges", () => {
    expect(parseLength("128")).toEqual({ kind: "fixed", value: 128 });
    expect(parseLength(" 64-256 ")).toEqual({ kind: "uniform", min: 64, max: 256 });
    expect(parseLength("10:20")).toEqual({ kind: "uniform", min: 10, max: 20 });
    expect(parseLength("7-7")).toEqual({ kind: "fixed", value: 7 });
  });

  it("refuses what is not a length", () => {
    for (const bad of ["0", "-3", "abc", "20-10", "1.5", "", "0-4"])
      expect(() => parseLength(bad)).toThrow(RangeError);
  });

  it("samples within the range, both ends reachable, repeatably for a seed", () => {
    const distribution = parseLength("1-4");
    const random = seededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleLength(distribution, random));
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
    const a = seededRandom(3);
    const b = seededRandom(3);
    expect(Array.from({ length: 20 }, () => sampleLength(distribution, a))).toEqual(
      Array.from({ length: 20 }, () => sampleLength(distribution, b)),
    );
    expect(sampleLength(parseLength("9"), Math.random)).toBe(9);
  });

  it("formats back to the flag's spelling and has a mean", () => {
    expect(formatLength(parseLength("64-256"))).toBe("64-256");
    expect(formatLength(parseLength("32"))).toBe("32");
    expect(meanLength(parseLength("10-20"))).toBe(15);
  });
});

describe("model mix", () => {
  it("follows the shares exactly over each cycle, interleaved", () => {
    const mix = new ModelMix(
      normaliseShares([
        { model: "a", share: 3 },
        { model: "b", share: 1 },
      ]),
    );
    const picks = Array.from({ length: 8 }, () => mix.next());
    expect(picks.filter((pick) => pick === 0)).toHaveLength(6);
    expect(picks.slice(0, 4).filter((pick) => pick === 1)).toHaveLength(1);
  });

  it("normalises shares and refuses impossible ones", () => {
    expect(
      normaliseShares([
        { model: "a", share: 1 },
        { model: "b", share: 3 },
      ]).map((s) => s.share),
    ).toEqual([0.25, 0.75]);
    expect(() => normaliseShares([])).toThrow();
    expect(() => normaliseShares([{ model: "a", share: 0 }])).toThrow();
    expect(() =>
      normaliseShares([
        { model: "a", share: -1 },
        { model: "b", share: 2 },
      ]),
    ).toThrow();
  });
});

describe("synthetic prompts", () => {
  it("have the asked number of words", () => {
    const prompt = syntheticPrompt(50, seededRandom(1));
    expect(prompt.split(" ")).toHaveLength(50);
    expect(prompt).toBe(syntheticPrompt(50, seededRandom(1)));
  });
});
