/**
 * Properties of the OpenAI → Anthropic stream over generated chunk sequences: parallel tool calls
 * whose fragments interleave in any order still come out as well-formed, sequential Anthropic blocks
 * whose inputs are exactly the calls' arguments.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import type { OpenAIChunkDelta } from "../../../src/protocol/translate/openai-types.js";
import { accumulate, convert, fixedOptions } from "./helpers.js";

const input = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 5 }),
  fc.oneof(fc.integer(), fc.string({ maxLength: 10, unit: "grapheme" }), fc.constant(null)),
  { maxKeys: 3 },
);

/** A tool call's arguments cut into fragments; the first fragment also carries id and name. */
const call = fc.tuple(input, fc.array(fc.nat(30), { maxLength: 5 })).map(([args, cuts]) => {
  const text = JSON.stringify(args);
  const at = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const ends = [...at, text.length];
  return { input: args, fragments: ends.map((end, i) => text.slice(i === 0 ? 0 : ends[i - 1], end)) };
});

function chunk(delta: OpenAIChunkDelta, finish: string | null = null) {
  const data = {
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return { data: JSON.stringify(data) };
}

describe("OpenAI → Anthropic stream properties", () => {
  it("interleaved parallel tool calls become sequential blocks with exact inputs", () => {
    fc.assert(
      fc.property(
        fc.array(call, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
        (calls, schedule, preamble) => {
          // Each step of the schedule advances one call that still has fragments left.
          const next = calls.map(() => 0);
          const messages = preamble === undefined ? [] : [chunk({ content: preamble })];
          const pending = () => calls.flatMap((c, i) => (next[i]! < c.fragments.length ? [i] : []));
          const emit = (i: number) => {
            const position = next[i]!++;
            const fragment = calls[i]!.fragments[position]!;
            const fn = position === 0 ? { name: `tool${i}`, arguments: fragment } : { arguments: fragment };
            const id = position === 0 ? { id: `call_${i}`, type: "function" as const } : {};
            messages.push(chunk({ tool_calls: [{ index: i, ...id, function: fn }] }));
          };
          for (const pick of schedule) {
            const open = pending();
            if (open.length > 0) emit(open[pick % open.length]!);
          }
          for (let open = pending(); open.length > 0; open = pending()) emit(open[0]!);
          messages.push(chunk({}, "tool_calls"), { data: "[DONE]" });

          const { blocks, stopReason } = accumulate(
            convert(new AnthropicToOpenAI(fixedOptions()).stream(), messages),
          );
          expect(stopReason).toBe("tool_use");
          const text = blocks.filter((b) => b.type === "text");
          expect(text).toEqual(preamble === undefined ? [] : [{ type: "text", text: preamble }]);
          const uses = blocks.filter((b) => b.type === "tool_use").sort((a, b) => a.id.localeCompare(b.id));
          expect(uses).toEqual(
            calls.map((c, i) => ({ type: "tool_use", id: `call_${i}`, name: `tool${i}`, input: c.input })),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
