/**
 * Opt-in mid-stream failover for OpenAI chat streams, as the bottom layer of a converter stack (so it
 * sees the backend's own chunks, before translation or reasoning separation). The stream is watched
 * as it passes (text so far, tool calls, finish); if its backend fails after the first byte, the
 * request is sent to another backend with the text produced so far as an assistant prefill
 * (`continue_final_message`, as vLLM names it), and the continuation's chunks go on up the stack
 * under the original chunk id, without a second role chunk. A stream that was inside a tool call, or
 * already finished, is never resumed: it ends with an error event as usual.
 * @module
 */
import type { SseMessage } from "../protocol/translate/translator.js";
import type { UpstreamAnswer } from "../upstream/dispatch-call.js";
import type { RelayOutcome } from "./relay.js";
import { answerSource, type BodySource, type StreamRecovery } from "./stream-pump.js";
import type { StreamLayer } from "./stream-stack.js";

/** At most this many resumptions per request: a second failure in a row says more than luck. */
export const MAX_RESUMES = 2;

/**
 * The longest prefill kept, in characters: a million tokens or so, past any context a continuation
 * could take. A stream longer than this is no longer resumable and its text is let go, so a backend
 * streaming without end cannot grow the gateway's memory through this layer.
 */
export const MAX_PREFILL_CHARS = 4 * 1024 * 1024;

export interface Continuation {
  response: UpstreamAnswer;
  backendId: string;
  /** Ends the continuation's lease; called once when its body is done. */
  release(outcome: "success" | "failure" | "abandoned"): void;
}

export type ContinueStream = (prefill: string) => Promise<Continuation | undefined>;

interface StreamChunk {
  id?: unknown;
  choices?: unknown;
}

interface ChunkChoice {
  delta?: { content?: unknown; role?: unknown; tool_calls?: unknown } | null;
  finish_reason?: unknown;
}

export class StreamResume implements StreamLayer, StreamRecovery {
  readonly #continueStream: ContinueStream;
  readonly #onBroken: (error: Error) => void;
  #id: string | undefined;
  #text = "";
  #sawToolCall = false;
  #finished = false;
  #sawDone = false;
  #tooLong = false;
  #resumes = 0;
  #continuation: Continuation | undefined;

  /**
   * @param continueStream starts the continuation on another backend, prefilled with the text so far
   * @param onBroken the first backend broke: count it against that backend
   */
  constructor(continueStream: ContinueStream, onBroken: (error: Error) => void) {
    this.#continueStream = continueStream;
    this.#onBroken = onBroken;
  }

  /** The text the backends produced so far: the next continuation's prefill. */
  get text(): string {
    return this.#text;
  }

  get resumable(): boolean {
    return !this.#sawToolCall && !this.#finished && !this.#sawDone && !this.#tooLong;
  }

  event(message: SseMessage): SseMessage[] {
    if (message.data === "[DONE]") {
      this.#sawDone = true;
      return [message];
    }
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(message.data) as StreamChunk;
    } catch {
      return [message];
    }
    if (typeof chunk !== "object" || chunk === null) return [message];
    const first: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    const choice = typeof first === "object" && first !== null ? (first as ChunkChoice) : undefined;
    const delta = typeof choice?.delta === "object" && choice.delta !== null ? choice.delta : undefined;
    const content = typeof delta?.content === "string" ? delta.content : "";
    if (delta?.tool_calls !== undefined) this.#sawToolCall = true;
    if (choice?.finish_reason !== undefined && choice.finish_reason !== null) this.#finished = true;
    if (this.#continuation === undefined) {
      if (this.#id === undefined && typeof chunk.id === "string") this.#id = chunk.id;
      this.#keep(content);
      return [message];
    }
    // A continuation's first chunk names the role again: the client already had it.
    const onlyRole = delta !== undefined && content === "" && delta.role !== undefined && !this.#finished;
    if (onlyRole && delta.tool_calls === undefined) return [];
    this.#keep(content);
    if (this.#id !== undefined) chunk.id = this.#id;
    return [{ data: JSON.stringify(chunk) }];
  }

  #keep(content: string): void {
    if (this.#tooLong || content === "") return;
    if (this.#text.length + content.length <= MAX_PREFILL_CHARS) {
      this.#text += content;
      return;
    }
    this.#tooLong = true;
    this.#text = "";
  }

  end(): SseMessage[] {
    return [];
  }

  fail(): SseMessage[] {
    return [];
  }

  async recover(error: Error): Promise<BodySource | undefined> {
    if (this.#continuation) this.#continuation.release("failure");
    else this.#onBroken(error);
    this.#continuation = undefined;
    if (!this.resumable || this.#resumes >= MAX_RESUMES) return undefined;
    this.#resumes++;
    const next = await this.#continueStream(this.#text);
    this.#continuation = next;
    return next ? answerSource(next.response) : undefined;
  }

  close(outcome: RelayOutcome): void {
    this.#continuation?.release(outcome === "complete" ? "success" : "abandoned");
    this.#continuation = undefined;
  }
}
