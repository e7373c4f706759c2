/**
 * Reasoning separation applied to an OpenAI backend's chat responses: JSON bodies through
 * `separateChatCompletion`, event streams chunk by chunk through a `ChatChunkSeparator`, as a layer
 * of the converter stack (held-back text is flushed before `[DONE]`; a translator above it turns the
 * separated chunks into thinking blocks for an Anthropic client).
 * @module
 */
import type { SseMessage } from "../protocol/translate/translator.js";
import {
  ChatChunkSeparator,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ResponseSeparationOptions,
  separateChatCompletion,
} from "../reasoning/openai-response.js";
import type { StreamLayer } from "./stream-stack.js";

/** A chat completion with its reasoning separated; any other body as it is. */
export function separateJson(body: unknown, options: ResponseSeparationOptions): unknown {
  return isObject(body) && Array.isArray(body.choices)
    ? separateChatCompletion(body as ChatCompletion, options)
    : body;
}

const DONE: SseMessage = { data: "[DONE]" };

/** Separates reasoning in an OpenAI chunk stream. */
export class ReasoningLayer implements StreamLayer {
  readonly #separator: ChatChunkSeparator;
  #finished = false;

  constructor(options: ResponseSeparationOptions) {
    this.#separator = new ChatChunkSeparator(options);
  }

  event(message: SseMessage): SseMessage[] {
    if (this.#finished) return [];
    if (message.data === "[DONE]") return [...this.#flush(), message];
    let chunk: unknown;
    try {
      chunk = JSON.parse(message.data);
    } catch {
      return [message];
    }
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) return [message];
    const pieces = this.#separator.transform(chunk as ChatCompletionChunk);
    // Nothing was separated: the chunk goes on as the backend wrote it, its text not written again.
    if (pieces.length === 1 && pieces[0] === chunk) return [{ data: message.data, json: chunk }];
    return pieces.map(toMessage);
  }

  end(): SseMessage[] {
    if (this.#finished) return [];
    return [...this.#flush(), DONE];
  }

  fail(): SseMessage[] {
    return this.#flush();
  }

  /** What is still held back; nothing after the first call. */
  #flush(): SseMessage[] {
    if (this.#finished) return [];
    this.#finished = true;
    return this.#separator.flush().map(toMessage);
  }
}

/** The chunk as the object, for a converter above that would parse the text again. */
function toMessage(chunk: ChatCompletionChunk): SseMessage {
  return new ParsedEvent(chunk);
}

/**
 * An event made from an object. Translators read the object (event-json.ts), so its text is written
 * only when a layer above asks for `data` (a passthrough writing the chunk back out), and then once.
 */
class ParsedEvent implements SseMessage {
  readonly json: ChatCompletionChunk;
  #data: string | undefined;

  constructor(json: ChatCompletionChunk) {
    this.json = json;
  }

  get data(): string {
    this.#data ??= JSON.stringify(this.json);
    return this.#data;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
