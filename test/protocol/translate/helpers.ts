/**
 * Shared by the translation tests: deterministic translator options, SSE parsing with
 * eventsource-parser (as the gateway parses upstream streams), and running a converter over a transcript.
 */
import { readFileSync } from "node:fs";
import { createParser } from "eventsource-parser";
import { expect } from "vitest";
import type { AnthropicResponseBlock, AnthropicStreamEvent } from "../../../src/protocol/anthropic/types.js";
import type {
  SseMessage,
  StreamConverter,
  TranslatorOptions,
} from "../../../src/protocol/translate/translator.js";

/** A fixed clock (2025-01-01T00:00:00Z) and counting ids, so outputs are byte-stable. */
export function fixedOptions(): Required<TranslatorOptions> {
  let next = 0;
  return { now: () => 1_735_689_600_000, newId: () => `gen${++next}` };
}

/** Parses SSE text fed in pieces, exactly as the gateway would feed upstream bytes. */
export function parseSse(pieces: readonly string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = createParser({
    onEvent: (event) => messages.push({ event: event.event, data: event.data }),
  });
  for (const piece of pieces) parser.feed(piece);
  return messages;
}

/** Decodes bytes split anywhere (even inside a UTF-8 sequence) into SSE messages. */
export function parseSseBytes(chunks: readonly Uint8Array[]): SseMessage[] {
  const decoder = new TextDecoder();
  const pieces = chunks.map((chunk) => decoder.decode(chunk, { stream: true }));
  pieces.push(decoder.decode());
  return parseSse(pieces);
}

/** Feeds every message to the converter, then ends it; returns the client stream as text. */
export function convert(converter: StreamConverter, messages: readonly SseMessage[]): string {
  const frames: string[] = [];
  for (const message of messages) frames.push(...converter.event(message));
  frames.push(...converter.end());
  return frames.join("");
}

/** The JSON payloads of a client stream (skipping `[DONE]`), with their event names. */
export function payloads(sse: string): Array<{ event: string | undefined; data: unknown }> {
  return parseSse([sse])
    .filter((message) => message.data !== "[DONE]")
    .map((message) => ({ event: message.event, data: JSON.parse(message.data) as unknown }));
}

export function readText(url: URL): string {
  return readFileSync(url, "utf8");
}

/** Accumulates an Anthropic event stream into its blocks, checking the event grammar on the way. */
export function accumulate(sse: string): { blocks: AnthropicResponseBlock[]; stopReason: unknown } {
  const blocks: AnthropicResponseBlock[] = [];
  const json: string[] = [];
  let open: number | undefined;
  let stopReason: unknown;
  const events = payloads(sse).map((p) => p.data as AnthropicStreamEvent);
  expect(events[0]?.type).toBe("message_start");
  expect(events.at(-1)?.type).toBe("message_stop");
  for (const event of events) {
    if (event.type === "content_block_start") {
      expect(open).toBeUndefined();
      expect(event.index).toBe(blocks.length);
      open = event.index;
      blocks.push(structuredClone(event.content_block));
      json.push("");
    } else if (event.type === "content_block_delta") {
      expect(event.index).toBe(open);
      const block = blocks[event.index]!;
      const d = event.delta;
      if (d.type === "text_delta" && block.type === "text") block.text += d.text;
      else if (d.type === "thinking_delta" && block.type === "thinking") block.thinking += d.thinking;
      else if (d.type === "signature_delta" && block.type === "thinking") block.signature += d.signature;
      else if (d.type === "input_json_delta" && block.type === "tool_use")
        json[event.index] += d.partial_json;
      else throw new Error(`delta ${d.type} in a ${block.type} block`);
    } else if (event.type === "content_block_stop") {
      expect(event.index).toBe(open);
      const block = blocks[event.index]!;
      if (block.type === "tool_use")
        block.input = JSON.parse(json[event.index] || "{}") as typeof block.input;
      open = undefined;
    } else if (event.type === "message_delta") stopReason = event.delta.stop_reason;
  }
  return { blocks, stopReason };
}
