import { describe, expect, it } from "vitest";
import { findTag, partialTagLength, tagSet } from "../../src/reasoning/tag-scanner.js";
import { shareTokens } from "../../src/reasoning/usage-estimate.js";

const tags = tagSet(["<think>", "</think>", "<|end|>"]);

describe("tag scanner", () => {
  it("finds the earliest complete tag", () => {
    expect(findTag("a <<think> </think>", tags, 0)).toEqual({ index: 3, tag: "<think>" });
    expect(findTag("a <<think> </think>", tags, 4)).toEqual({ index: 11, tag: "</think>" });
    expect(findTag("a <thin", tags, 0)).toBeUndefined();
  });

  it.each([
    ["plain", 0],
    ["text <", 1],
    ["text </thi", 5],
    ["text <<th", 3],
    ["text <|en", 4],
    ["text < b", 0],
    ["<think", 6],
  ])("holds back the possible tag start of %j", (text, held) => {
    expect(partialTagLength(text, 0, tags)).toBe(held);
  });

  it("never holds back before `from`", () => {
    expect(partialTagLength("ab<th", 3, tags)).toBe(0);
  });

  it("refuses tags that do not start with '<'", () => {
    expect(() => tagSet(["think>"])).toThrow();
  });
});

describe("shareTokens", () => {
  it.each([
    [10, { analysis: 30, commentary: 10, final: 10 }, { analysis: 6, commentary: 2, final: 2 }],
    [7, { analysis: 0, commentary: 0, final: 0 }, { analysis: 0, commentary: 0, final: 7 }],
    [3, { analysis: 1, commentary: 1, final: 1 }, { analysis: 1, commentary: 1, final: 1 }],
    [1, { analysis: 1, commentary: 1, final: 0 }, { analysis: 1, commentary: 0, final: 0 }],
  ])("shares %d tokens by %j", (tokens, chars, expected) => {
    const shared = shareTokens(tokens, chars);
    expect(shared).toEqual(expected);
    expect(shared.analysis + shared.commentary + shared.final).toBe(tokens);
  });
});
