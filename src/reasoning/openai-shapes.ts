/**
 * The parts of OpenAI's `chat.completion` and `chat.completion.chunk` objects that reasoning separation
 * reads or writes, plus the reasoning extension fields. Every other field is carried along untouched, hence
 * the index signatures.
 * @module
 */
import type { ChannelTexts } from "./harmony-channels.js";
import type { Thinking } from "./separate.js";
import type { ChannelCounts } from "./usage-estimate.js";

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown } | null;
  /** Reasoning extension: reasoning tokens (analysis + commentary). */
  thinking_tokens?: number;
  /** Reasoning extension: tokens per channel. */
  channel_tokens?: ChannelCounts;
  [field: string]: unknown;
}

export interface ChatMessage {
  role?: string;
  content?: string | null;
  /** The reasoning, as vLLM, DeepSeek and most OpenAI-compatible servers return it. */
  reasoning_content?: string | null;
  /** The same, as some servers (OpenRouter, newer vLLM) name it. */
  reasoning?: string | null;
  /** Reasoning extension, with `separate_thinking`. */
  thinking?: Thinking;
  /** Reasoning extension, with `separate_thinking`, filtered by `include_channels`. */
  channels?: Partial<ChannelTexts>;
  [field: string]: unknown;
}

export interface ChatChoice {
  index?: number;
  message?: ChatMessage;
  finish_reason?: string | null;
  [field: string]: unknown;
}

export interface ChatCompletion {
  id?: string;
  object?: string;
  model?: string;
  choices?: ChatChoice[];
  usage?: ChatUsage | null;
  /** Reasoning extension: the effort the request asked for. */
  reasoning_level?: string;
  [field: string]: unknown;
}

export interface ChatDelta {
  role?: string;
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  [field: string]: unknown;
}

export interface ChatChunkChoice {
  index?: number;
  delta?: ChatDelta;
  finish_reason?: string | null;
  logprobs?: unknown;
  [field: string]: unknown;
}

export interface ChatCompletionChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices?: ChatChunkChoice[];
  usage?: ChatUsage | null;
  [field: string]: unknown;
}
