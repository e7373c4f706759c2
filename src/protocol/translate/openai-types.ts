/**
 * Wire types of OpenAI Chat Completions (`POST /v1/chat/completions`) that translation reads or writes:
 * requests, the completion, stream chunks. Fields that OpenAI itself does not define but that
 * OpenAI-compatible servers use are marked as extensions, with the server that uses them.
 *
 * Like the Anthropic types, these describe the protocol; readers of received bodies still treat
 * every field as possibly missing.
 * @module
 */
import type { AnthropicReasoningBlock, JsonObject } from "../anthropic/types.js";

export interface OpenAITextPart {
  type: "text";
  text: string;
}

export interface OpenAIImagePart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

export interface OpenAIRefusalPart {
  type: "refusal";
  refusal: string;
}

/** Parts we cannot carry to Anthropic; listed so that they can be recognised and refused. */
export interface OpenAIUnsupportedPart {
  type: "input_audio" | "file";
}

export type OpenAIUserPart = OpenAITextPart | OpenAIImagePart | OpenAIUnsupportedPart;
export type OpenAIAssistantPart = OpenAITextPart | OpenAIRefusalPart;

/**
 * How reasoning travels on the OpenAI side (assistant messages, completion messages, chunk deltas).
 *
 * - `reasoning_content` is the de-facto field (DeepSeek, vLLM, SGLang, LiteLLM) for reasoning text;
 *   some servers spell it `reasoning` (OpenRouter, newer vLLM), which is read but never written.
 * - `thinking_blocks` (extension, LiteLLM's spelling) carries Anthropic's blocks exactly: thinking
 *   with its signature and redacted thinking with its data, in order. It is what makes a round trip
 *   through an OpenAI client or backend lossless. In a stream each entry is one complete block, sent
 *   when the block ends; its text has already streamed through `reasoning_content`.
 */
export interface OpenAIReasoningFields {
  reasoning_content?: string | null;
  reasoning?: string | null;
  thinking_blocks?: AnthropicReasoningBlock[] | null;
}

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface OpenAISystemMessage {
  role: "system" | "developer";
  content: string | OpenAITextPart[];
  name?: string;
}

export interface OpenAIUserMessage {
  role: "user";
  content: string | OpenAIUserPart[];
  name?: string;
}

export interface OpenAIAssistantMessage extends OpenAIReasoningFields {
  role: "assistant";
  content?: string | OpenAIAssistantPart[] | null;
  refusal?: string | null;
  tool_calls?: OpenAIToolCall[];
  name?: string;
}

/** A tool call's result, answering the assistant message whose call has `tool_call_id`. */
export interface OpenAIToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string | OpenAITextPart[];
  /** Extension: Anthropic's `tool_result.is_error`, kept so that it survives a round trip. */
  is_error?: boolean;
}

export type OpenAIMessage =
  | OpenAISystemMessage
  | OpenAIUserMessage
  | OpenAIAssistantMessage
  | OpenAIToolMessage;

export interface OpenAIFunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean | null };
}

export type OpenAIToolChoice =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; function: { name: string } };

export type OpenAIReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh";

export type OpenAIResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: { name: string; description?: string; schema?: JsonObject; strict?: boolean | null };
    };

/** A Chat Completions request body. */
export interface OpenAIChatRequest {
  model: string;
  messages: OpenAIMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  temperature?: number | null;
  top_p?: number | null;
  /** Extension (vLLM, SGLang, llama.cpp): top-k sampling. */
  top_k?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  tools?: OpenAIFunctionTool[];
  tool_choice?: OpenAIToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: OpenAIResponseFormat;
  reasoning_effort?: OpenAIReasoningEffort | null;
  user?: string;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  /** Legacy function calling; refused with a pointer to `tools`. */
  functions?: unknown[];
  function_call?: unknown;
  modalities?: string[] | null;
}

export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export interface OpenAIResponseMessage extends OpenAIReasoningFields {
  role: "assistant";
  content: string | null;
  refusal: string | null;
  tool_calls?: OpenAIToolCall[];
}

/**
 * `stop_reason` (extension, vLLM's): the stop string that ended generation (a number when it was a
 * stop token). It is the only way to tell a stop-sequence match from a natural end.
 */
export interface OpenAIChoice {
  index: number;
  message: OpenAIResponseMessage;
  finish_reason: OpenAIFinishReason | null;
  logprobs: null;
  stop_reason?: string | number | null;
}

/** A non-streamed Chat Completions response body. */
export interface OpenAIChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: OpenAIChoice[];
  usage?: OpenAIUsage | null;
}

/** One fragment of a tool call; `index` says which call it belongs to when calls run in parallel. */
export interface OpenAIToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface OpenAIChunkDelta extends OpenAIReasoningFields {
  role?: "assistant";
  content?: string | null;
  refusal?: string | null;
  tool_calls?: OpenAIToolCallDelta[];
}

export interface OpenAIChunkChoice {
  index: number;
  delta: OpenAIChunkDelta;
  finish_reason: OpenAIFinishReason | null;
  logprobs?: null;
  stop_reason?: string | number | null;
}

/** A stream chunk. With `stream_options.include_usage`, the last chunk has `choices: []` and `usage`. */
export interface OpenAIChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: OpenAIChunkChoice[];
  usage?: OpenAIUsage | null;
}
