/**
 * Properties of the chat → Responses stream over generated completions: streamed in any fragments,
 * with parallel tool calls interleaving and the upstream bytes cut anywhere, the final `Response`
 * equals the one the JSON path builds from the same completion; and any sequence of plausible but
 * hostile chunks still yields a well-formed, schema-valid event stream.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResponsesToChat } from "../../../src/protocol/translate/responses-to-chat.js";
import type { SseMessage } from "../../../src/protocol/translate/translator.js";
import { convert, parseSseBytes } from "./helpers.js";
import { finalResponse, responsesOptions } from "./responses-helpers.js";

const text = fc.string({ maxLength: 12, unit: "grapheme" });

/** A value cut into fragments at arbitrary points (possibly none). */
function fragments(value: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((cut) => cut % (value.length + 1)))].sort((a, b) => a - b);
  const ends = [...at, value.length];
  return ends.map((end, i) => value.slice(i === 0 ? 0 : ends[i - 1], end)).filter((part) => part !== "");
}

const cuts = fc.array(fc.nat(40), { maxLength: 4 });

const call = fc.record({
  name: fc.constantFrom("shell", "mcp__docs__search", "f", "apply_patch"),
  /** The text a call to the custom tool `apply_patch` carries, as `{"input": ...}`. */
  input: fc.string({ maxLength: 16 }),
  args: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.oneof(fc.integer(), text), {
    maxKeys: 3,
  }),
  cuts,
});

const completion = fc.record({
  reasoning: fc.option(text, { nil: undefined }),
  reasoningCuts: cuts,
  content: fc.option(text, { nil: undefined }),
  contentCuts: cuts,
  calls: fc.array(call, { maxLength: 3 }),
  schedule: fc.array(fc.nat(), { maxLength: 20 }),
  finish: fc.constantFrom("stop", "length", "tool_calls", "content_filter"),
  usage: fc.option(
    fc.record({
      prompt: fc.nat(5000),
      completion: fc.nat(5000),
      cached: fc.nat(100),
      reasoning: fc.nat(100),
    }),
    {
      nil: undefined,
    },
  ),
  byteCuts: fc.array(fc.nat(), { maxLength: 3 }),
});

type Generated = typeof completion extends fc.Arbitrary<infer T> ? T : never;

const request = {
  model: "m",
  input: "hi",
  include: ["reasoning.encrypted_content"],
  tools: [
    { type: "function", name: "shell" },
    { type: "function", name: "f" },
    { type: "namespace", name: "mcp__docs", description: "", tools: [{ type: "function", name: "search" }] },
    { type: "custom", name: "apply_patch" },
  ],
};

/** A generated call's chat arguments: a custom tool's take its input as `{"input": ...}`. */
function argsOf(c: Generated["calls"][number]): string {
  return JSON.stringify(c.name === "apply_patch" ? { input: c.input } : c.args);
}

function usageOf(g: Generated) {
  if (g.usage === undefined) return undefined;
  const { prompt, completion: done, cached, reasoning } = g.usage;
  return {
    prompt_tokens: prompt,
    completion_tokens: done,
    total_tokens: prompt + done,
    prompt_tokens_details: { cached_tokens: Math.min(cached, prompt) },
    completion_tokens_details: { reasoning_tokens: Math.min(reasoning, done) },
  };
}

function chatCompletion(g: Generated) {
  const message: Record<string, unknown> = { role: "assistant", content: g.content ?? null };
  if (g.reasoning !== undefined) message.reasoning_content = g.reasoning;
  if (g.calls.length > 0) {
    message.tool_calls = g.calls.map((c, i) => ({
      id: `call_${i}`,
      type: "function",
      function: { name: c.name, arguments: argsOf(c) },
    }));
  }
  const body: Record<string, unknown> = {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message, finish_reason: g.finish }],
  };
  if (g.usage !== undefined) body.usage = usageOf(g);
  return body;
}

function sse(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return sse({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

/** The same completion as a chunk stream: reasoning, content, then calls interleaved by the schedule. */
function chatStream(g: Generated): string {
  const out = [chunk({ role: "assistant", content: "" })];
  for (const part of fragments(g.reasoning ?? "", g.reasoningCuts))
    out.push(chunk({ reasoning_content: part }));
  for (const part of fragments(g.content ?? "", g.contentCuts)) out.push(chunk({ content: part }));
  const parts = g.calls.map((c) => fragments(argsOf(c), c.cuts));
  const next = g.calls.map(() => 0);
  // A call may only start after the one before it started, as servers number them.
  const started = () => next.filter((n) => n > 0).length;
  const pending = () =>
    g.calls.flatMap((_, i) => (next[i]! <= parts[i]!.length && (next[i]! > 0 || i === started()) ? [i] : []));
  const emit = (i: number) => {
    const position = next[i]!++;
    if (position === 0) {
      const fn = { name: g.calls[i]!.name, arguments: "" };
      out.push(chunk({ tool_calls: [{ index: i, id: `call_${i}`, type: "function", function: fn }] }));
    } else out.push(chunk({ tool_calls: [{ index: i, function: { arguments: parts[i]![position - 1] } }] }));
  };
  for (const pick of g.schedule) {
    const open = pending();
    if (open.length > 0) emit(open[pick % open.length]!);
  }
  for (let open = pending(); open.length > 0; open = pending()) emit(open[0]!);
  out.push(chunk({}, g.finish));
  if (g.usage !== undefined)
    out.push(
      sse({
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [],
        usage: usageOf(g),
      }),
    );
  out.push("data: [DONE]\n\n");
  return out.join("");
}

function split(text: string, byteCuts: number[]): SseMessage[] {
  const bytes = new TextEncoder().encode(text);
  const at = [...new Set(byteCuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const ends = [...at, bytes.length];
  return parseSseBytes(ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end)));
}

describe("chat → Responses stream properties", () => {
  it("any fragmentation and byte split gives the Response the JSON path gives", () => {
    fc.assert(
      fc.property(completion, (g) => {
        const json = new ResponsesToChat(responsesOptions());
        expect(json.request(request).ok).toBe(true);
        const expected = json.response(chatCompletion(g));

        const streamed = new ResponsesToChat(responsesOptions());
        expect(streamed.request({ ...request, stream: true }).ok).toBe(true);
        const actual = finalResponse(convert(streamed.stream(), split(chatStream(g), g.byteCuts)));
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  const anyValue = fc.oneof(fc.anything({ maxDepth: 2 }), text, fc.constant(null));
  const delta = fc.record(
    {
      role: anyValue,
      content: fc.oneof(text, anyValue),
      refusal: fc.oneof(text, anyValue),
      reasoning_content: fc.oneof(text, anyValue),
      reasoning: fc.oneof(text, anyValue),
      thinking_blocks: fc.oneof(
        anyValue,
        fc.array(
          fc.record({
            type: fc.constantFrom("thinking", "redacted_thinking", "x"),
            thinking: anyValue,
            signature: anyValue,
            data: anyValue,
          }),
        ),
      ),
      tool_calls: fc.oneof(
        anyValue,
        fc.array(
          fc.record(
            {
              index: fc.oneof(fc.nat(3), anyValue),
              id: fc.oneof(fc.constantFrom("a", "b"), anyValue),
              function: fc.oneof(
                anyValue,
                fc.record(
                  {
                    name: fc.oneof(text, anyValue, fc.constant("apply_patch")),
                    arguments: fc.oneof(text, anyValue, fc.constant('{"input":"x"}')),
                  },
                  { requiredKeys: [] },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  const message = fc.oneof(
    fc
      .record({ delta, finish: fc.constantFrom(null, "stop", "length", "tool_calls", 7) })
      .map(({ delta: d, finish }) => ({
        data: JSON.stringify({
          id: "c",
          model: "m",
          choices: [{ index: 0, delta: d, finish_reason: finish }],
        }),
      })),
    fc.record({ usage: anyValue }).map((usage) => ({ data: JSON.stringify({ choices: [], ...usage }) })),
    fc.constantFrom(
      { data: "[DONE]" },
      { data: "not json" },
      { data: '{"error":{"message":"x","code":429}}' },
    ),
  );

  it("hostile chunks still give a schema-valid, well-numbered stream with one final event", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 10 }), fc.boolean(), (messages, failAtEnd) => {
        const translator = new ResponsesToChat(responsesOptions());
        translator.request({ ...request, stream: true });
        const converter = translator.stream();
        const frames = messages.flatMap((m) => converter.event(m));
        frames.push(...(failAtEnd ? converter.fail(502, "reset") : converter.end()));
        finalResponse(frames.join(""));
      }),
      { numRuns: 120 },
    );
  });
});
