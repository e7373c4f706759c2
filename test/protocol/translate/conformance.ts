/**
 * The contract every Translator keeps, as one suite that each implementation runs
 * (`conformance.test.ts`): it never throws, whatever it is given; a stream converter ends once;
 * `fail` ends the stream; every frame is a complete SSE frame.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SseMessage, Translator } from "../../../src/protocol/translate/translator.js";

const anyJson = fc.jsonValue({ maxDepth: 4 });
const anyValue = fc.oneof(fc.anything({ maxDepth: 3 }), anyJson);

/** Plausible-looking stream payloads: right field names, wrong or missing values. */
const eventPayload = fc.record(
  {
    type: fc.constantFrom(
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "error",
      "ping",
    ),
    index: fc.oneof(fc.nat(3), anyValue),
    delta: fc.oneof(
      anyValue,
      fc.record({
        type: fc.constantFrom("text_delta", "input_json_delta", "thinking_delta", "signature_delta"),
        text: anyValue,
        partial_json: anyValue,
      }),
    ),
    content_block: fc.oneof(
      anyValue,
      fc.record({
        type: fc.constantFrom("text", "thinking", "tool_use", "redacted_thinking"),
        name: anyValue,
        input: anyValue,
      }),
    ),
    choices: fc.oneof(
      anyValue,
      fc.array(
        fc.record(
          { index: fc.oneof(fc.constant(0), anyValue), delta: anyValue, finish_reason: anyValue },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
    usage: anyValue,
    error: anyValue,
  },
  { requiredKeys: [] },
);

const message: fc.Arbitrary<SseMessage> = fc.record(
  {
    event: fc.option(fc.constantFrom("error", "message_start", "ping", "x"), { nil: undefined }),
    data: fc.oneof(
      fc.string(),
      anyJson.map((v) => JSON.stringify(v)),
      eventPayload.map((v) => JSON.stringify(v)),
      fc.constant("[DONE]"),
    ),
  },
  { requiredKeys: ["data"] },
);

function expectFrames(frames: readonly string[]): void {
  for (const frame of frames) {
    expect(typeof frame).toBe("string");
    expect(frame.endsWith("\n\n")).toBe(true);
  }
}

export function runTranslatorConformance(name: string, create: () => Translator): void {
  describe(`Translator conformance: ${name}`, () => {
    it("request, response and error never throw", () => {
      fc.assert(
        fc.property(anyValue, anyValue, fc.integer({ min: 100, max: 599 }), (body, upstream, status) => {
          const translator = create();
          const result = translator.request(body);
          if (!result.ok) expect(result.status).toBe(400);
          else expect(typeof result.path).toBe("string");
          translator.response(upstream);
          translator.error(status, upstream);
        }),
        { numRuns: 120 },
      );
    });

    it("a stream converter never throws, writes whole frames, and ends once", () => {
      fc.assert(
        fc.property(fc.array(message, { maxLength: 12 }), (messages) => {
          const converter = create().stream();
          for (const m of messages) expectFrames(converter.event(m));
          expectFrames(converter.end());
          expect(converter.end()).toEqual([]);
          expect(converter.event({ data: "{}" })).toEqual([]);
        }),
        { numRuns: 120 },
      );
    });

    it("fail() ends the stream with one error frame", () => {
      const converter = create().stream();
      const frames = converter.fail(502, "upstream reset");
      expect(frames).toHaveLength(1);
      expect(frames[0]).toContain("upstream reset");
      expect(converter.fail(502, "again")).toEqual([]);
      expect(converter.end()).toEqual([]);
    });
  });
}
