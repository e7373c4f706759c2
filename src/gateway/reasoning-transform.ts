/**
 * Reasoning separation applied to an OpenAI backend's chat responses, as a relay transform: JSON
 * bodies through `separateChatCompletion`, event streams chunk by chunk through a
 * `ChatChunkSeparator` (held-back text is flushed before `[DONE]`).
 * @module
 */
import { SSE_DONE, sseRawData } from "../protocol/sse.js";
import { streamErrorFrame, UPSTREAM_FAILED } from "../protocol/stream-error.js";
import type { SseMessage, StreamConverter } from "../protocol/translate/translator.js";
import {
  ChatChunkSeparator,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ResponseSeparationOptions,
  separateChatCompletion,
} from "../reasoning/openai-response.js";
import type { ResponseTransform } from "./relay.js";

export function reasoningTransform(options: ResponseSeparationOptions): ResponseTransform {
  return {
    json: (body) =>
      isObject(body) && Array.isArray(body.choices)
        ? separateChatCompletion(body as ChatCompletion, options)
        : body,
    stream: () => new ReasoningStreamConverter(options),
  };
}

/**
 * Separates reasoning in an OpenAI chunk stream. `messages` works on parsed SSE messages so that a
 * translator can follow it (Anthropic clients get thinking blocks); `event` writes frames.
 */
export class ReasoningStreamConverter implements StreamConverter {
  readonly #separator: ChatChunkSeparator;
  #finished = false;

  constructor(options: ResponseSeparationOptions) {
    this.#separator = new ChatChunkSeparator(options);
  }

  messages(message: SseMessage): SseMessage[] {
    if (this.#finished) return [];
    if (message.data === "[DONE]") return [...this.flushMessages(), message];
    let chunk: unknown;
    try {
      chunk = JSON.parse(message.data);
    } catch {
      return [message];
    }
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) return [message];
    return this.#separator.transform(chunk as ChatCompletionChunk).map(toMessage);
  }

  /** What is still held back, as messages; nothing after the first call. */
  flushMessages(): SseMessage[] {
    if (this.#finished) return [];
    this.#finished = true;
    return this.#separator.flush().map(toMessage);
  }

  event(message: SseMessage): string[] {
    return this.messages(message).map(toFrame);
  }

  end(): string[] {
    if (this.#finished) return [];
    return [...this.flushMessages().map(toFrame), SSE_DONE];
  }

  fail(status: number, message: string): string[] {
    // After [DONE] (or end()) the client's stream is complete: an error frame there would follow it.
    if (this.#finished) return [];
    return [
      ...this.flushMessages().map(toFrame),
      streamErrorFrame("openai", status, message, UPSTREAM_FAILED),
    ];
  }
}

/** Reasoning separation first, then protocol translation, over one stream. */
export function separateThenTranslate(
  reasoning: ReasoningStreamConverter,
  translated: StreamConverter,
): StreamConverter {
  return {
    event: (message) => reasoning.messages(message).flatMap((separated) => translated.event(separated)),
    end: () => [
      ...reasoning.flushMessages().flatMap((separated) => translated.event(separated)),
      ...translated.end(),
    ],
    fail: (status, message) => [
      ...reasoning.flushMessages().flatMap((separated) => translated.event(separated)),
      ...translated.fail(status, message),
    ],
  };
}

function toMessage(chunk: ChatCompletionChunk): SseMessage {
  return { data: JSON.stringify(chunk) };
}

function toFrame(message: SseMessage): string {
  return message.data === "[DONE]" ? SSE_DONE : sseRawData(message.data);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
