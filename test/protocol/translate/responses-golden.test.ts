/**
 * Golden fixtures for the Responses bridge, in `fixtures/responses-client/` (chat backend) and
 * `fixtures/responses-anthropic/` (Anthropic backend):
 * - `requests/<case>.in.json` → `<case>.out.json`: the upstream request (or the refusal) and the
 *   tools left out;
 * - `completions/` (chat) or `messages/` (Anthropic) `<case>.in.json` → `<case>.out.json`: the
 *   `Response` object, validated against the OpenAPI `Response` schema;
 * - `streams/<case>.in.sse` → `<case>.out.sse`, byte for byte, every event validated against
 *   `ResponseStreamEvent`, numbered in order, ended by one final event.
 * An optional `<case>.request.json` is the client's request, translated first. JSON outputs are
 * compared as values (Biome formats them). Run with `UPDATE_GOLDEN=1` to rewrite outputs after a
 * deliberate change, then review the diff.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ResponsesToAnthropic } from "../../../src/protocol/translate/responses-to-anthropic.js";
import type { ResponsesTranslator } from "../../../src/protocol/translate/responses-to-chat.js";
import { ResponsesToChat } from "../../../src/protocol/translate/responses-to-chat.js";
import { validateOpenAI } from "../../helpers/openapi.js";
import { convert, parseSse, readText } from "./helpers.js";
import { finalResponse, responsesOptions } from "./responses-helpers.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === "1";

const backends: Record<string, { answers: string; create: () => ResponsesTranslator }> = {
  "responses-client": { answers: "completions", create: () => new ResponsesToChat(responsesOptions()) },
  "responses-anthropic": { answers: "messages", create: () => new ResponsesToAnthropic(responsesOptions()) },
};

function cases(folder: string, suffix: string): string[] {
  const url = new URL(`${folder}/`, FIXTURES);
  if (!existsSync(url)) return [];
  return readdirSync(url)
    .filter((name) => name.endsWith(suffix))
    .map((name) => name.slice(0, -suffix.length))
    .sort();
}

function readJson(path: string): unknown {
  return JSON.parse(readText(new URL(path, FIXTURES)));
}

/** Compares with the stored output, or stores it under UPDATE_GOLDEN. */
function expectGoldenJson(path: string, actual: unknown): void {
  const url = new URL(path, FIXTURES);
  if (UPDATE) writeFileSync(url, `${JSON.stringify(actual, null, 2)}\n`);
  expect(actual).toEqual(JSON.parse(readText(url)));
}

function prepared(backend: string, folder: string, name: string): ResponsesTranslator {
  const translator = backends[backend]!.create();
  const request = `${backend}/${folder}/${name}.request.json`;
  if (existsSync(new URL(request, FIXTURES))) expect(translator.request(readJson(request)).ok).toBe(true);
  return translator;
}

for (const [backend, { answers }] of Object.entries(backends)) {
  describe(`golden ${backend}`, () => {
    it.each(cases(`${backend}/requests`, ".in.json"))("request %s", (name) => {
      const translator = backends[backend]!.create();
      const result = translator.request(readJson(`${backend}/requests/${name}.in.json`));
      const out = result.ok
        ? {
            path: result.path,
            headers: result.headers,
            body: result.body,
            droppedTools: translator.droppedTools,
          }
        : { status: result.status, body: result.body };
      if (!result.ok) validateOpenAI("ErrorResponse", result.body);
      expectGoldenJson(`${backend}/requests/${name}.out.json`, out);
    });

    it.each(cases(`${backend}/${answers}`, ".in.json"))("response %s", (name) => {
      const translator = prepared(backend, answers, name);
      const response = translator.response(readJson(`${backend}/${answers}/${name}.in.json`));
      validateOpenAI("Response", response);
      expectGoldenJson(`${backend}/${answers}/${name}.out.json`, response);
    });

    it.each(cases(`${backend}/streams`, ".in.sse"))("stream %s", (name) => {
      const input = readText(new URL(`${backend}/streams/${name}.in.sse`, FIXTURES));
      const actual = convert(prepared(backend, "streams", name).stream(), parseSse([input]));
      const url = new URL(`${backend}/streams/${name}.out.sse`, FIXTURES);
      if (UPDATE) writeFileSync(url, actual);
      expect(actual).toBe(readText(url));
      validateOpenAI("Response", finalResponse(actual));
    });
  });
}
