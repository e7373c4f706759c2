/**
 * The OpenAI bodies serve answers chat requests with, pure. The model's text goes in marked up (see
 * `reasoning-markup.ts`) and comes out through the shared reasoning module, so every response has
 * `content` = the answer only and `reasoning_content` = the thinking (as vLLM and llama.cpp's server
 * return it), plus the reasoning extensions' `thinking`, `channels`, `usage.thinking_tokens`, `usage.channel_tokens`
 * and `reasoning_level` when the request asked for them.
 * @module
 */
import {
  ChatChunkSeparator,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ResponseSeparationOptions,
  separateChatCompletion,
} from "../reasoning/openai-response.js";
import type { StopReason } from "./engine.js";

/** What every body of one response shares. */
export interface ResponseMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

/** Token counts of one generation. */
export interface TokenCounts {
  readonly prompt: number;
  readonly completion: number;
}

/** `abort` never reaches a client (the client is gone), so these are the stop reasons a body carries. */
export type FinishReason = Exclude<StopReason, "abort">;

function usageOf(tokens: TokenCounts) {
  return {
    prompt_tokens: tokens.prompt,
    completion_tokens: tokens.completion,
    total_tokens: tokens.prompt + tokens.completion,
  };
}

/** A whole `chat.completion` for the marked-up `text`, separated per `separation`. */
export function chatCompletion(
  meta: ResponseMeta,
  text: string,
  finish: FinishReason,
  tokens: TokenCounts,
  separation: ResponseSeparationOptions,
): ChatCompletion {
  const raw: ChatCompletion = {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage: usageOf(tokens),
  };
  return separateChatCompletion(raw, separation);
}

/** The answer text of a separated completion (what JSON output checks look at). */
export function answerOf(completion: ChatCompletion): string {
  const content = completion.choices?.[0]?.message?.content;
  return typeof content === "string" ? content : "";
}

/**
 * Builds the `chat.completion.chunk`s of one streamed response: feed marked-up text with `text()`, end
 * with `finish()`; each returns the chunks to send (possibly none: a possible tag start is held back).
 * The usage chunk is exact: it comes from the whole text, as the non-streamed body's usage does.
 */
export class ChatChunkWriter {
  readonly #meta: ResponseMeta;
  readonly #separation: ResponseSeparationOptions;
  readonly #separator: ChatChunkSeparator;
  readonly #includeUsage: boolean;
  #text = "";

  constructor(meta: ResponseMeta, separation: ResponseSeparationOptions, includeUsage: boolean) {
    this.#meta = meta;
    this.#separation = separation;
    this.#separator = new ChatChunkSeparator(separation);
    this.#includeUsage = includeUsage;
  }

  #chunk(delta: Record<string, unknown>, finish: FinishReason | null): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      id: this.#meta.id,
      object: "chat.completion.chunk",
      created: this.#meta.created,
      model: this.#meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    // As OpenAI does: with include_usage every chunk but the last carries `usage: null`.
    if (this.#includeUsage) chunk.usage = null;
    return chunk;
  }

  /** The first chunk: the role, no text yet. */
  start(): ChatCompletionChunk[] {
    return [this.#chunk({ role: "assistant", content: "" }, null)];
  }

  text(text: string): ChatCompletionChunk[] {
    if (text === "") return [];
    this.#text += text;
    return this.#separator.transform(this.#chunk({ content: text }, null));
  }

  /** The held-back text, the chunk with the finish reason, and the usage chunk when asked for. */
  finish(finish: FinishReason, tokens: TokenCounts): ChatCompletionChunk[] {
    const out = this.#separator.transform(this.#chunk({}, finish));
    if (this.#includeUsage) {
      const whole = chatCompletion(this.#meta, this.#text, finish, tokens, this.#separation);
      out.push({
        id: this.#meta.id,
        object: "chat.completion.chunk",
        created: this.#meta.created,
        model: this.#meta.model,
        choices: [],
        usage: whole.usage ?? null,
      });
    }
    return out;
  }
}

/** A whole `text_completion` (no reasoning separation: completions return raw text). */
export function textCompletion(meta: ResponseMeta, text: string, finish: FinishReason, tokens: TokenCounts) {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    usage: usageOf(tokens),
  };
}

/** One streamed `text_completion` chunk; `finish` only on the last one with a choice. */
export function textCompletionChunk(meta: ResponseMeta, text: string, finish: FinishReason | null) {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  };
}

/** The usage chunk that ends a streamed completion when `stream_options.include_usage` is set. */
export function textCompletionUsageChunk(meta: ResponseMeta, tokens: TokenCounts) {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [],
    usage: usageOf(tokens),
  };
}
