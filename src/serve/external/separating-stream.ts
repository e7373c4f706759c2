/**
 * An engine's chat event stream with the reasoning separated, as a stream transform: events are parsed
 * as they arrive and rewritten chunk by chunk by the shared `ChatChunkSeparator`, so the answer keeps
 * streaming (only a possible tag start is held back) and backpressure reaches the engine through the
 * pipeline. Held-back text goes out before `[DONE]`, or at the end of a stream that has none.
 * @module
 */

import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import { SSE_DONE, sseData, sseRawData } from "../../protocol/sse.js";
import {
  ChatChunkSeparator,
  type ChatCompletionChunk,
  type ResponseSeparationOptions,
} from "../../reasoning/openai-response.js";

/**
 * Most bytes the engine may send without completing an event: the parser holds an unfinished event,
 * and an engine that never ends one must not grow that without bound (real events are a few KiB).
 */
export const MAX_PENDING_EVENT_BYTES = 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class SeparatingSseStream extends Transform {
  readonly #separator: ChatChunkSeparator;
  readonly #parser: EventSourceParser;
  readonly #decoder = new StringDecoder("utf8");
  /** Bytes fed since the parser last completed an event. */
  #pendingBytes = 0;
  /** `[DONE]` came; anything after it is dropped. */
  #done = false;

  constructor(separation: ResponseSeparationOptions) {
    super();
    this.#separator = new ChatChunkSeparator(separation);
    this.#parser = createParser({ onEvent: (event) => this.#event(event) });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pendingBytes += chunk.length;
    this.#parser.feed(this.#decoder.write(chunk));
    if (this.#pendingBytes > MAX_PENDING_EVENT_BYTES) {
      callback(
        new Error(
          `the engine sent ${this.#pendingBytes} bytes without completing an event (the limit is ${MAX_PENDING_EVENT_BYTES})`,
        ),
      );
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#parser.feed(this.#decoder.end());
    this.#pushHeld();
    callback();
  }

  #event(event: EventSourceMessage): void {
    this.#pendingBytes = 0;
    if (this.#done) return;
    if (event.data === "[DONE]") {
      this.#pushHeld();
      this.#done = true;
      this.push(SSE_DONE);
      return;
    }
    const chunk = parseChunk(event.data);
    // Error events and anything else that is not a chunk go on as they came.
    if (chunk === undefined || event.event !== undefined) {
      this.push(sseRawData(event.data, event.event));
      return;
    }
    const out = this.#separator.transform(chunk);
    if (out.length > 0) this.push(out.map(sseData).join(""));
  }

  /** Text still held back (a tag start that never completed), once. */
  #pushHeld(): void {
    if (this.#done) return;
    const held = this.#separator.flush();
    if (held.length > 0) this.push(held.map(sseData).join(""));
  }
}

function parseChunk(data: string): ChatCompletionChunk | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return isRecord(parsed) && Array.isArray(parsed.choices) ? (parsed as ChatCompletionChunk) : undefined;
  } catch {
    return undefined;
  }
}
