/**
 * Wire types of OpenAI's Responses API (`POST /v1/responses`) as far as Switchyard reads or writes
 * them: the part of `CreateResponse` the bridge reads, the `Response` object, the output items it
 * produces (messages with `output_text`, `function_call`, `reasoning`) and the stream events it sends.
 *
 * Names follow the OpenAPI document's schemas (`Response`, `ResponseStreamEvent`…). Like the other
 * wire types these are loose: objects keep an index signature for fields we pass over, and readers of
 * received bodies treat every field as possibly missing.
 * @module
 */
import type { JsonObject } from "../anthropic/types.js";

/** An item's progress; the bridge writes `in_progress` while streaming, then one of the others. */
export type ResponsesItemStatus = "in_progress" | "completed" | "incomplete";

// ── Content parts ──────────────────────────────────────────────────────────────

export interface ResponsesInputText {
  type: "input_text";
  text: string;
  [key: string]: unknown;
}

/** An image by URL (`https:` or a `data:` URL) or by an uploaded file's id, which the bridge cannot fetch. */
export interface ResponsesInputImage {
  type: "input_image";
  image_url?: string | null;
  file_id?: string | null;
  detail?: "auto" | "low" | "high" | "original";
  [key: string]: unknown;
}

export interface ResponsesOutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs?: unknown[];
  [key: string]: unknown;
}

export interface ResponsesRefusal {
  type: "refusal";
  refusal: string;
}

export interface ResponsesReasoningText {
  type: "reasoning_text";
  text: string;
}

export interface ResponsesSummaryText {
  type: "summary_text";
  text: string;
}

/** A part of an input message's content; others (`input_file`, `input_audio`) are refused by type. */
export type ResponsesInputPart =
  | ResponsesInputText
  | ResponsesInputImage
  | ResponsesOutputText
  | ResponsesRefusal
  | { type: string; [key: string]: unknown };

/** A part of an output message's content. */
export type ResponsesOutputPart = ResponsesOutputText | ResponsesRefusal;

// ── Items ──────────────────────────────────────────────────────────────────────

export type ResponsesRole = "user" | "assistant" | "system" | "developer";

/** A message in `input`: `EasyInputMessage` (string content allowed, `type` optional) or `InputMessage`. */
export interface ResponsesMessageItem {
  type?: "message";
  id?: string;
  role: ResponsesRole;
  content: string | ResponsesInputPart[];
  status?: ResponsesItemStatus;
  [key: string]: unknown;
}

/**
 * A call the model made. `namespace` is set when the function belongs to a `namespace` tool group;
 * `name` is then the function's own name inside it.
 */
export interface ResponsesFunctionCallItem {
  type: "function_call";
  id?: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
  status?: ResponsesItemStatus;
  [key: string]: unknown;
}

/** A call to a `custom` tool: its free-form `input` instead of JSON arguments. */
export interface ResponsesCustomToolCallItem {
  type: "custom_tool_call";
  id?: string;
  call_id: string;
  name: string;
  namespace?: string;
  input: string;
  status?: ResponsesItemStatus;
  [key: string]: unknown;
}

/** A custom tool's result, answering the call with the same `call_id`. */
export interface ResponsesCustomToolCallOutputItem {
  type: "custom_tool_call_output";
  id?: string | null;
  call_id: string;
  output: string | ResponsesInputPart[];
  [key: string]: unknown;
}

/** A tool's result, answering the call with the same `call_id`. */
export interface ResponsesFunctionCallOutputItem {
  type: "function_call_output";
  id?: string | null;
  call_id: string;
  output: string | ResponsesInputPart[];
  [key: string]: unknown;
}

/**
 * The model's reasoning. `content` holds the text (open models); `summary` a summary of it (OpenAI's
 * own models); `encrypted_content` an opaque blob that lets a stateless client hand it back next turn.
 */
export interface ResponsesReasoningItem {
  type: "reasoning";
  id: string;
  summary: ResponsesSummaryText[];
  content?: ResponsesReasoningText[];
  encrypted_content?: string | null;
  status?: ResponsesItemStatus;
  [key: string]: unknown;
}

/** A reference to an item stored server-side, by id. */
export interface ResponsesItemReference {
  type?: "item_reference" | null;
  id: string;
}

/** One entry of a request's `input`. Other item types (hosted tools' calls…) are refused by type. */
export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesCustomToolCallItem
  | ResponsesCustomToolCallOutputItem
  | ResponsesReasoningItem
  | ResponsesItemReference
  | { type: string; [key: string]: unknown };

/** An assistant message the bridge writes. */
export interface ResponsesOutputMessage {
  type: "message";
  id: string;
  role: "assistant";
  status: ResponsesItemStatus;
  content: ResponsesOutputPart[];
}

/** What the bridge puts in `output`. */
export type ResponsesOutputItem =
  | ResponsesOutputMessage
  | ResponsesFunctionCallItem
  | ResponsesCustomToolCallItem
  | ResponsesReasoningItem;

// ── Tools and request options ─────────────────────────────────────────────────

export interface ResponsesFunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters?: JsonObject | null;
  strict?: boolean | null;
  [key: string]: unknown;
}

/** A tool the model calls with free-form text, optionally constrained by a grammar (Codex's `apply_patch`). */
export interface ResponsesCustomTool {
  type: "custom";
  name: string;
  description?: string;
  format?: { type: "text" } | { type: "grammar"; syntax: string; definition: string };
  [key: string]: unknown;
}

/** A group of functions the model calls as `namespace` + `name` (Codex sends its MCP tools this way). */
export interface ResponsesNamespaceTool {
  type: "namespace";
  name: string;
  description?: string;
  tools: Array<ResponsesFunctionTool | ResponsesCustomTool | { type: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** Any tool; types other than `function`, `custom` and `namespace` are hosted (run by OpenAI). */
export type ResponsesTool =
  | ResponsesFunctionTool
  | ResponsesNamespaceTool
  | ResponsesCustomTool
  | { type: string; [key: string]: unknown };

export type ResponsesToolChoice =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; name: string }
  | { type: "allowed_tools"; mode: "auto" | "required"; tools: JsonObject[] }
  | { type: string; [key: string]: unknown };

export type ResponsesTextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      name: string;
      schema: JsonObject;
      description?: string;
      strict?: boolean | null;
    };

export interface ResponsesTextParam {
  format?: ResponsesTextFormat;
  verbosity?: "low" | "medium" | "high" | null;
  [key: string]: unknown;
}

export type ResponsesReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

export interface ResponsesReasoningParam {
  effort?: ResponsesReasoningEffort | null;
  summary?: "auto" | "concise" | "detailed" | null;
  [key: string]: unknown;
}

/** What `include` may ask for that the bridge honours. */
export const INCLUDE_ENCRYPTED_REASONING = "reasoning.encrypted_content";

/** The request body (`CreateResponse`), as far as the bridge reads it. */
export interface ResponsesCreateRequest {
  model?: string;
  input?: string | ResponsesInputItem[];
  instructions?: string | null;
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean | null;
  text?: ResponsesTextParam | null;
  reasoning?: ResponsesReasoningParam | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  user?: string;
  metadata?: Record<string, string> | null;
  stream?: boolean | null;
  store?: boolean | null;
  include?: string[] | null;
  previous_response_id?: string | null;
  prompt_cache_key?: string | null;
  safety_identifier?: string | null;
  truncation?: "auto" | "disabled" | null;
  background?: boolean | null;
  [key: string]: unknown;
}

// ── The response ───────────────────────────────────────────────────────────────

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponsesStatus = "completed" | "failed" | "in_progress" | "incomplete";

/** `error.code` values the bridge writes (a subset of the spec's `ResponseErrorCode`). */
export type ResponsesErrorCode = "server_error" | "rate_limit_exceeded";

/** The `Response` object, as a JSON answer and inside the lifecycle stream events. */
export interface ResponsesResponse {
  id: string;
  object: "response";
  created_at: number;
  status: ResponsesStatus;
  completed_at: number | null;
  error: { code: ResponsesErrorCode; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  model: string;
  output: ResponsesOutputItem[];
  usage?: ResponsesUsage;
  tools: ResponsesTool[];
  tool_choice: ResponsesToolChoice;
  parallel_tool_calls: boolean;
  text: ResponsesTextParam;
  reasoning: ResponsesReasoningParam | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  temperature: number | null;
  top_p: number | null;
  store: boolean;
  previous_response_id: string | null;
  truncation: "auto" | "disabled";
  background: boolean;
  [key: string]: unknown;
}

// ── Stream events ──────────────────────────────────────────────────────────────

interface ItemEventBase {
  item_id: string;
  output_index: number;
  sequence_number: number;
}

/** The events the bridge writes (each is one `event: <type>` frame). */
export type ResponsesStreamEvent =
  | {
      type: "response.created" | "response.in_progress" | "response.completed" | "response.incomplete";
      response: ResponsesResponse;
      sequence_number: number;
    }
  | { type: "response.failed"; response: ResponsesResponse; sequence_number: number }
  | {
      type: "response.output_item.added" | "response.output_item.done";
      output_index: number;
      item: ResponsesOutputItem;
      sequence_number: number;
    }
  | (ItemEventBase & {
      type: "response.content_part.added" | "response.content_part.done";
      content_index: number;
      part: ResponsesOutputPart | ResponsesReasoningText;
    })
  | (ItemEventBase & {
      type: "response.output_text.delta";
      content_index: number;
      delta: string;
      logprobs: [];
    })
  | (ItemEventBase & { type: "response.output_text.done"; content_index: number; text: string; logprobs: [] })
  | (ItemEventBase & { type: "response.refusal.delta"; content_index: number; delta: string })
  | (ItemEventBase & { type: "response.refusal.done"; content_index: number; refusal: string })
  | (ItemEventBase & { type: "response.reasoning_text.delta"; content_index: number; delta: string })
  | (ItemEventBase & { type: "response.reasoning_text.done"; content_index: number; text: string })
  | (ItemEventBase & { type: "response.function_call_arguments.delta"; delta: string })
  | (ItemEventBase & { type: "response.function_call_arguments.done"; name: string; arguments: string });
