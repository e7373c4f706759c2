/**
 * Golden requests: `fixtures/requests/<direction>/<case>.in.json` is what a client sends,
 * `<case>.out.json` the body the backend must receive (compared as JSON). `anthropic-client/` holds
 * Anthropic requests translated for an OpenAI backend, `openai-client/` the reverse (the output is
 * the Anthropic body). Run with `UPDATE_GOLDEN=1` to rewrite the `.out.json` files after a
 * deliberate change, format them (`npx biome check --write`), then review the diff.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import { OpenAIToAnthropic } from "../../../src/protocol/translate/openai-to-anthropic.js";
import type { Translator } from "../../../src/protocol/translate/translator.js";
import { fixedOptions, readText } from "./helpers.js";

const FIXTURES = new URL("./fixtures/requests/", import.meta.url);

const directions: Record<string, () => Translator> = {
  "anthropic-client": () => new AnthropicToOpenAI(fixedOptions()),
  "openai-client": () => new OpenAIToAnthropic(fixedOptions()),
};

function cases(direction: string): string[] {
  return readdirSync(new URL(`${direction}/`, FIXTURES))
    .filter((name) => name.endsWith(".in.json"))
    .map((name) => name.slice(0, -".in.json".length))
    .sort();
}

for (const [direction, create] of Object.entries(directions)) {
  describe(`golden requests: ${direction}`, () => {
    it.each(cases(direction))("%s", (name) => {
      const input: unknown = JSON.parse(readText(new URL(`${direction}/${name}.in.json`, FIXTURES)));
      const translated = create().request(input);
      if (!translated.ok) throw new Error(`refused: ${JSON.stringify(translated.body)}`);
      const expectedUrl = new URL(`${direction}/${name}.out.json`, FIXTURES);
      if (process.env.UPDATE_GOLDEN === "1") {
        writeFileSync(expectedUrl, `${JSON.stringify(translated.body, null, 2)}\n`);
      }
      expect(translated.body).toEqual(JSON.parse(readText(expectedUrl)));
    });
  });
}

describe("output_config.format that OpenAI cannot express", () => {
  it.each([
    ["a text format", { type: "text" }],
    ["a schema that is not an object", { type: "json_schema", schema: "{}" }],
    ["a format that is not an object", "json"],
  ])("%s is an Anthropic 400 naming output_config.format", (_name, format) => {
    const translated = new AnthropicToOpenAI(fixedOptions()).request({
      model: "m",
      max_tokens: 16,
      messages: [{ role: "user", content: "Hi" }],
      output_config: { format },
    });
    expect(translated.ok).toBe(false);
    if (translated.ok) return;
    expect(translated.status).toBe(400);
    expect(translated.body).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("output_config.format") },
    });
  });

  it("a system message whose blocks are not text is refused", () => {
    const translated = new AnthropicToOpenAI(fixedOptions()).request({
      model: "m",
      max_tokens: 16,
      messages: [
        { role: "user", content: "Hi" },
        { role: "system", content: [{ type: "image", source: { type: "url", url: "https://x/y.png" } }] },
      ],
    });
    expect(translated.ok).toBe(false);
    if (!translated.ok) expect(JSON.stringify(translated.body)).toContain("System blocks must be text");
  });
});
