import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findUsage, findUsageInText, lastUsageKey, lastUsageKeyInText } from "../../src/upstream/usage.js";

describe("lastUsageKey", () => {
  it("finds what Buffer.lastIndexOf finds, in bytes made of the key's pieces", () => {
    const piece = fc.constantFrom(
      '"usage"',
      '"',
      "usage",
      "g",
      "ge",
      '"usag',
      'sage"',
      "x",
      "é",
      ":{",
      "gggggg",
      "\n",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const bytes = Buffer.from(pieces.join(""));
        expect(lastUsageKey(bytes)).toBe(bytes.lastIndexOf('"usage"'));
      }),
      { numRuns: 2_000 },
    );
  });

  it("finds in text what String.lastIndexOf finds", () => {
    const piece = fc.constantFrom(
      '"usage"',
      '"',
      "usage",
      'usage"',
      "g",
      '"usag',
      'sage"',
      "x",
      "é",
      "😀",
      ":{",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const text = pieces.join("");
        expect(lastUsageKeyInText(text)).toBe(text.lastIndexOf('"usage"'));
      }),
      { numRuns: 2_000 },
    );
  });

  it("finds a key at either end of the bytes and nothing in bytes shorter than it", () => {
    expect(lastUsageKey(Buffer.from('"usage"'))).toBe(0);
    expect(lastUsageKey(Buffer.from('g"usage"'))).toBe(1);
    expect(lastUsageKey(Buffer.from('"usage"gg'))).toBe(0);
    expect(lastUsageKey(Buffer.from('"usag'))).toBe(-1);
    expect(lastUsageKey(Buffer.from("ggg"))).toBe(-1);
  });
});

describe("findUsage", () => {
  it("reads OpenAI and Anthropic usage from JSON and SSE bytes", () => {
    const openai = Buffer.from(
      '{"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}',
    );
    expect(findUsage(openai)).toEqual({ prompt: 12, completion: 5 });
    const chunk = Buffer.from(
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9}}\n\ndata: [DONE]\n\n',
    );
    expect(findUsage(chunk)).toEqual({ prompt: 3, completion: 9 });
    const anthropic = Buffer.from(
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":7}}\n\n',
    );
    expect(findUsage(anthropic)).toEqual({ prompt: 0, completion: 7 });
  });

  it("reads cached and reasoning tokens where the usage has them", () => {
    const openai = Buffer.from(
      '{"usage":{"prompt_tokens":40,"completion_tokens":30,"prompt_tokens_details":{"cached_tokens":32},"completion_tokens_details":{"reasoning_tokens":12}}}',
    );
    expect(findUsage(openai)).toEqual({ prompt: 40, completion: 30, cached: 32, reasoning: 12 });
    const anthropic = Buffer.from(
      '{"usage":{"input_tokens":5,"cache_read_input_tokens":100,"output_tokens":9}}',
    );
    expect(findUsage(anthropic)).toEqual({ prompt: 5, completion: 9, cached: 100 });
  });

  it("takes the first count of each kind past the last usage key, within its window, across multibyte text", () => {
    const body = Buffer.from(
      `{"content":"é😀 usage","usage":{"input_tokens":2,"prompt_tokens":3,"output_tokens":4,"completion_tokens":5,` +
        `"cache_read_input_tokens":6,"cached_tokens":7,"reasoning_tokens":8,"x":{"reasoning_tokens":9}}}`,
    );
    expect(findUsage(body)).toEqual({ prompt: 2, completion: 4, cached: 6, reasoning: 8 });
    const far = Buffer.from(`{"usage":{"prompt_tokens":1,"pad":"${"x".repeat(600)}","completion_tokens":2}}`);
    expect(findUsage(far)).toEqual({ prompt: 1, completion: 0 });
    const twice = Buffer.from('{"usage":{"prompt_tokens":1}}\n{"usage":{"completion_tokens":4}}');
    expect(findUsage(twice)).toEqual({ prompt: 0, completion: 4 });
  });

  it("finds nothing where there is no usage", () => {
    expect(findUsage(Buffer.from('data: {"choices":[{"delta":{"content":"usage"}}]}'))).toBeUndefined();
    expect(findUsage(Buffer.from('{"usage":null}'))).toBeUndefined();
  });

  it("passes over a usage that is not an object, even with counts after it", () => {
    const nullUsage = '{"usage":null,"x":{"prompt_tokens":3,"completion_tokens":4}}';
    expect(findUsage(Buffer.from(nullUsage))).toBeUndefined();
    expect(findUsageInText(nullUsage)).toBeUndefined();
    expect(findUsage(Buffer.from('{"usage" :\n {"prompt_tokens":2}}'))).toEqual({ prompt: 2, completion: 0 });
  });
});

describe("findUsageInText", () => {
  it("reads what findUsage reads from the same text as bytes", () => {
    const samples = [
      '{"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}',
      '{"type":"message_delta","usage":{"output_tokens":7}}',
      '{"usage":{"prompt_tokens":40,"completion_tokens":30,"prompt_tokens_details":{"cached_tokens":32},"completion_tokens_details":{"reasoning_tokens":12}}}',
      '{"choices":[{"delta":{"content":"ünïcode usage"}}],"usage":null}',
      '{"choices":[]}',
    ];
    for (const text of samples) expect(findUsageInText(text)).toEqual(findUsage(Buffer.from(text)));
  });
});
