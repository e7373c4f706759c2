/**
 * Wire types of the Anthropic Messages API (`POST /v1/messages`, API version 2023-06-01) as far as
 * Switchyard reads or writes them: requests, the response message, stream events and errors.
 *
 * These describe what Anthropic documents, not what a given sender actually sends: code that reads a
 * body received over the wire treats every field as possibly missing (a backend or client may be
 * non-conforming), so readers use optional access even where a field is required here.
 * @module
 */
import type { AnthropicErrorBody } from "./errors.js";

/** A JSON object, as tool inputs and JSON schemas are. */
export type JsonObject = { [key: string]: unknown };

/** Prompt-caching hint; accepted on blocks and tools, meaningless to other protocols. */
export interface AnthropicCacheControl {
  type: "ephemeral";
  ttl?: string;
}

export interface AnthropicTextBlock {
  type: "text";
  text: string;
  cache_control?: AnthropicCacheControl | null;
  /** Set on responses that cite documents; we never request citations. */
  citations?: unknown[] | null;
}

export type AnthropicImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string };

export interface AnthropicImageBlock {
  type: "image";
  source: AnthropicImageSource;
  cache_control?: AnthropicCacheControl | null;
}

export interface AnthropicToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: JsonObject;
  cache_control?: AnthropicCacheControl | null;
}

/** A tool's output, in a user message, answering the `tool_use` with `tool_use_id`. */
export interface AnthropicToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | Array<AnthropicTextBlock | AnthropicImageBlock>;
  is_error?: boolean;
  cache_control?: AnthropicCacheControl | null;
}

/** Extended thinking. The signature lets Anthropic verify the block when it is sent back. */
export interface AnthropicThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

/** Thinking that Anthropic encrypted; `data` must be sent back byte for byte. */
export interface AnthropicRedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

export type AnthropicReasoningBlock = AnthropicThinkingBlock | AnthropicRedactedThinkingBlock;

/** Every block a request message may carry that we translate. */
export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

/** Every block a response message may carry that we translate. */
export type AnthropicResponseBlock =
  | AnthropicTextBlock
  | AnthropicToolUseBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

export interface AnthropicMessageParam {
  role: "user" | "assistant";
  content: string | AnthropicRequestBlock[];
}

/**
 * A system instruction among the messages, where it stands in the conversation (Anthropic accepts
 * these since mid-2026; Claude Code sends them for models it does not know).
 */
export interface AnthropicSystemMessageParam {
  role: "system";
  content: string | AnthropicTextBlock[];
}

/** Any entry of a request's `messages`. */
export type AnthropicInputMessage = AnthropicMessageParam | AnthropicSystemMessageParam;

/** A client tool. Server tools (`web_search_…`, `bash_…`) carry another `type` and are not translated. */
export interface AnthropicTool {
  type?: "custom";
  name: string;
  description?: string;
  input_schema: JsonObject;
  cache_control?: AnthropicCacheControl | null;
}

export type AnthropicToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export type AnthropicThinkingConfig =
  | { type: "enabled"; budget_tokens: number }
  | { type: "disabled" }
  /** The model picks its own budget (newer models); `output_config.effort` steers it. */
  | { type: "adaptive" };

export type AnthropicEffort = "low" | "medium" | "high" | "xhigh" | "max";

/** Structured output: the answer's text is JSON that satisfies `schema`. */
export interface AnthropicJsonOutputFormat {
  type: "json_schema";
  schema: JsonObject;
}

export interface AnthropicOutputConfig {
  effort?: AnthropicEffort | null;
  format?: AnthropicJsonOutputFormat | null;
}

/** A `POST /v1/messages` request body. */
export interface AnthropicMessagesRequest {
  model: string;
  messages: AnthropicInputMessage[];
  max_tokens: number;
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string | null };
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  thinking?: AnthropicThinkingConfig;
  output_config?: AnthropicOutputConfig;
  stream?: boolean;
  /** Server-side context editing; no OpenAI equivalent (dropped in translation). */
  context_management?: unknown;
  /** Top-level prompt-caching hint; no OpenAI equivalent (dropped in translation). */
  cache_control?: AnthropicCacheControl | null;
}

export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/** `input_tokens` excludes cached tokens: total input = input + cache creation + cache read. */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** A non-streamed Messages response body; `message_start` carries one with empty content. */
export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export interface AnthropicMessageStartEvent {
  type: "message_start";
  message: AnthropicMessage;
}

export interface AnthropicContentBlockStartEvent {
  type: "content_block_start";
  index: number;
  content_block: AnthropicResponseBlock;
}

export type AnthropicBlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string };

export interface AnthropicContentBlockDeltaEvent {
  type: "content_block_delta";
  index: number;
  delta: AnthropicBlockDelta;
}

export interface AnthropicContentBlockStopEvent {
  type: "content_block_stop";
  index: number;
}

/** Usage in `message_delta` is cumulative; only `output_tokens` is always present. */
export interface AnthropicDeltaUsage {
  output_tokens: number;
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicMessageDeltaEvent {
  type: "message_delta";
  delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null };
  usage: AnthropicDeltaUsage;
}

export interface AnthropicMessageStopEvent {
  type: "message_stop";
}

export interface AnthropicPingEvent {
  type: "ping";
}

/**
 * One event of a Messages stream. Each travels as an SSE frame whose `event:` name equals its `type`.
 * An `error` event ends the stream; no `message_stop` follows it.
 */
export type AnthropicStreamEvent =
  | AnthropicMessageStartEvent
  | AnthropicContentBlockStartEvent
  | AnthropicContentBlockDeltaEvent
  | AnthropicContentBlockStopEvent
  | AnthropicMessageDeltaEvent
  | AnthropicMessageStopEvent
  | AnthropicPingEvent
  | AnthropicErrorBody;
