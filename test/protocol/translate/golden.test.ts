/**
 * Golden SSE transcripts: `<case>.in.sse` is what a backend streams, `<case>.out.sse` what the client
 * must receive, byte for byte. `anthropic-client/` holds OpenAI chunks in and Anthropic events out;
 * `openai-client/` the reverse. An optional `<case>.request.json` is the client's request, translated
 * first because it shapes the stream (e.g. `include_usage`). Run with `UPDATE_GOLDEN=1` to rewrite
 * the `.out.sse` files after a deliberate change, then review the diff.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import { OpenAIToAnthropic } from "../../../src/protocol/translate/openai-to-anthropic.js";
import type { Translator } from "../../../src/protocol/translate/translator.js";
import { convert, fixedOptions, parseSse, parseSseBytes, readText } from "./helpers.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);

const directions: Record<string, () => Translator> = {
  "anthropic-client": () => new AnthropicToOpenAI(fixedOptions()),
  "openai-client": () => new OpenAIToAnthropic(fixedOptions()),
};

function cases(direction: string): string[] {
  return readdirSync(new URL(`${direction}/`, FIXTURES))
    .filter((name) => name.endsWith(".in.sse"))
    .map((name) => name.slice(0, -".in.sse".length))
    .sort();
}

/** A translator that has seen the case's request, ready to stream. */
function translatorFor(direction: string, name: string): Translator {
  const translator = directions[direction]!();
  const request = new URL(`${direction}/${name}.request.json`, FIXTURES);
  if (existsSync(request)) expect(translator.request(JSON.parse(readText(request))).ok).toBe(true);
  return translator;
}

for (const direction of Object.keys(directions)) {
  describe(`golden streams: ${direction}`, () => {
    it.each(cases(direction))("%s", (name) => {
      const input = readText(new URL(`${direction}/${name}.in.sse`, FIXTURES));
      const actual = convert(translatorFor(direction, name).stream(), parseSse([input]));
      const expectedUrl = new URL(`${direction}/${name}.out.sse`, FIXTURES);
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(expectedUrl, actual);
      expect(actual).toBe(readText(expectedUrl));
    });
  });
}

describe("byte boundaries", () => {
  function splitEverywhere(direction: string, name: string, step: number): void {
    const bytes = new TextEncoder().encode(readText(new URL(`${direction}/${name}.in.sse`, FIXTURES)));
    const expected = readText(new URL(`${direction}/${name}.out.sse`, FIXTURES));
    for (let cut = 0; cut <= bytes.length; cut += step) {
      const messages = parseSseBytes([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(convert(translatorFor(direction, name).stream(), messages)).toBe(expected);
    }
  }

  // Interleaved tool calls hold the most state; every single cut is tried.
  it("anthropic-client/tool-calls: the same output wherever the upstream bytes are split", () => {
    splitEverywhere("anthropic-client", "tool-calls", 1);
  });

  // Multi-byte characters cut inside their UTF-8 sequence, at a sample of cuts.
  it.each([
    ["anthropic-client", "text"],
    ["openai-client", "thinking"],
  ])("%s/%s: the same output at every third cut", (direction, name) => {
    splitEverywhere(direction, name, 3);
  });

  it("anthropic-client/text: the same output fed a byte at a time", () => {
    const bytes = new TextEncoder().encode(readText(new URL("anthropic-client/text.in.sse", FIXTURES)));
    const messages = parseSseBytes(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
    const expected = readText(new URL("anthropic-client/text.out.sse", FIXTURES));
    expect(convert(translatorFor("anthropic-client", "text").stream(), messages)).toBe(expected);
  });
});
