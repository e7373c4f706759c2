/**
 * The transform that separates an engine's chat stream: any split of the bytes (mid-event, mid-UTF-8
 * character) gives the same separated events; text held back at the end of a stream without `[DONE]`
 * still comes out; events that are not chunks pass unchanged; an engine that never completes an event
 * is cut off at the bound.
 */
import { Readable } from "node:stream";
import { text as readText } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { MAX_PENDING_EVENT_BYTES, SeparatingSseStream } from "../../src/serve/external/separating-stream.js";

const OPTIONS = { modelType: "qwen3" };

const frame = (content: string) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

async function separated(parts: readonly Buffer[]): Promise<string> {
  const transform = new SeparatingSseStream(OPTIONS);
  const out = readText(transform);
  // A failed pipeline fails the reader too; the pipeline's error is the one to report.
  out.catch(() => undefined);
  await pipeline(Readable.from(parts), transform);
  return out;
}

function deltas(text: string): { reasoning: string; content: string } {
  let reasoning = "";
  let content = "";
  for (const part of text.split("\n\n")) {
    if (!part.startsWith("data: {")) continue;
    const chunk = JSON.parse(part.slice(6)) as { choices?: { delta: Record<string, string> }[] };
    reasoning += chunk.choices?.[0]?.delta.reasoning_content ?? "";
    content += chunk.choices?.[0]?.delta.content ?? "";
  }
  return { reasoning, content };
}

describe("SeparatingSseStream", () => {
  it("gives the same answer for any split of the bytes", async () => {
    const bytes = Buffer.from(
      `${frame("<think>Où ")}${frame("est-ce?</th")}${frame("ink>À Paris.")}data: [DONE]\n\n`,
    );
    const whole = await separated([bytes]);
    expect(deltas(whole)).toEqual({ reasoning: "Où est-ce?", content: "À Paris." });
    expect(whole.endsWith("data: [DONE]\n\n")).toBe(true);
    for (const size of [1, 2, 3, 7]) {
      const parts: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
      expect(await separated(parts)).toBe(whole);
    }
  });

  it("sends held-back text at the end of a stream without [DONE], and passes other events on", async () => {
    const error = 'data: {"error":{"message":"engine failed"}}\n\n';
    const out = await separated([Buffer.from(`${frame("<think>a</think>b<")}${error}`)]);
    expect(out).toContain(error);
    expect(deltas(out)).toEqual({ reasoning: "a", content: "b<" });
    expect(out).not.toContain("[DONE]");
  });

  it("fails a stream that never completes an event", async () => {
    const endless = Buffer.alloc(MAX_PENDING_EVENT_BYTES + 1, "a");
    await expect(separated([Buffer.from("data: "), endless])).rejects.toThrow(/without completing an event/);
  });
});
