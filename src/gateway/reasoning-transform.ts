/**
 * Reasoning separation applied to an OpenAI backend's chat responses, as a relay transform: JSON
 * bodies through `separateChatCompletion`, event streams chunk by chunk through a
 * `ChatChunkSeparator` (held-back text is flushed before `[DONE]`).
 * @module
 */
import { openAIError } from "../protocol/openai/errors.js";
import { SSE_DONE, sseData } from "../protocol/sse.js";
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

class ReasoningStreamConverter implements StreamConverter {
  readonly #separator: ChatChunkSeparator;
  #finished = false;

  constructor(options: ResponseSeparationOptions) {
    this.#separator = new ChatChunkSeparator(options);
  }

  event(message: SseMessage): string[] {
    if (this.#finished) return [];
    if (message.data === "[DONE]") {
      this.#finished = true;
      return [...this.#separator.flush().map(sseData), SSE_DONE];
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(message.data);
    } catch {
      return [`data: ${message.data}\n\n`];
    }
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) return [`data: ${message.data}\n\n`];
    return this.#separator.transform(chunk as ChatCompletionChunk).map(sseData);
  }

  end(): string[] {
    if (this.#finished) return [];
    this.#finished = true;
    return [...this.#separator.flush().map(sseData), SSE_DONE];
  }

  fail(status: number, message: string): string[] {
    this.#finished = true;
    return [
      ...this.#separator.flush().map(sseData),
      sseData(openAIError(status, message, "upstream_failed")),
    ];
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
