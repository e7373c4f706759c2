/**
 * Reads a `/v1/chat/completions` body into what generation needs, or throws a 4xx {@link ServeError}
 * naming the field at fault. Everything here runs before a slot is taken, so a bad request never waits
 * in the queue.
 * @module
 */
import type { ChatHistoryItem } from "node-llama-cpp";
import { chatRequestSchema, checkRequest, completionRequestSchema } from "../protocol/openai/requests.js";
import {
  parseReasoningRequest,
  type ReasoningRequest,
  stripReasoningFields,
} from "../reasoning/request-options.js";
import { toChatHistory } from "./chat-messages.js";
import { ServeError } from "./errors.js";
import { type OutputFormat, parseResponseFormat } from "./response-format.js";
import { type Sampling, samplingOptions, samplingSchema } from "./sampling.js";

/** A checked chat request. */
export interface ChatRequest {
  readonly model: string;
  readonly stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  readonly includeUsage: boolean;
  readonly history: ChatHistoryItem[];
  readonly sampling: Sampling;
  /** The field the completion length came in, for errors about it. */
  readonly maxTokensParam: MaxTokensParam;
  readonly format: OutputFormat;
  readonly reasoning: ReasoningRequest;
}

/** The two names OpenAI gives the completion length; `max_completion_tokens` wins when both are set. */
export type MaxTokensParam = "max_tokens" | "max_completion_tokens";

/** A checked completion request (one prompt). */
export interface CompletionRequest {
  readonly model: string;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly prompt: string | readonly number[];
  readonly sampling: Sampling;
  readonly maxTokensParam: MaxTokensParam;
}

function invalid(message: string, param: string | null): ServeError {
  return new ServeError("SWY_ERR_SERVE_INVALID_REQUEST", message, { param });
}

function unsupported(message: string, param: string): ServeError {
  return new ServeError("SWY_ERR_SERVE_UNSUPPORTED", message, { param });
}

function checkSampling(body: Record<string, unknown>): Sampling {
  const result = samplingSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.join(".") || null;
    throw invalid(`Invalid value for '${param ?? "body"}': ${issue.message}.`, param);
  }
  return samplingOptions(result.data);
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options;
  return (
    typeof options === "object" &&
    options !== null &&
    (options as Record<string, unknown>).include_usage === true
  );
}

function maxTokensParam(body: Record<string, unknown>): MaxTokensParam {
  return body.max_completion_tokens === undefined || body.max_completion_tokens === null
    ? "max_tokens"
    : "max_completion_tokens";
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** What a chat's prompt is rendered from: its history and the reasoning fields that shape the template. */
export interface ChatPrompt {
  readonly history: ChatHistoryItem[];
  readonly reasoning: ReasoningRequest;
}

/**
 * The prompt part of a chat body (`messages`, tools refused, the reasoning fields), with `messages`
 * already checked to be an array of messages: shared by the chat route and `/tokenize`, so both render
 * the same prompt.
 */
export function parseChatPrompt(fields: Record<string, unknown>): ChatPrompt {
  if (hasItems(fields.tools) || hasItems(fields.functions)) {
    throw unsupported(
      "Tool calling is not supported by serve.",
      hasItems(fields.tools) ? "tools" : "functions",
    );
  }
  const reasoning = parseReasoningRequest(fields);
  if (!reasoning.ok) throw invalid(reasoning.error.message, reasoning.error.param);
  // developer_instructions become a developer message after the system messages.
  const messages = stripReasoningFields(fields).messages as unknown[];
  const history = toChatHistory(messages);
  if (!history.ok) throw invalid(history.error.message, history.error.param);
  return { history: history.history, reasoning: reasoning.request };
}

/** Checks a chat body (an object parsed from JSON). */
export function parseChatRequest(body: unknown): ChatRequest {
  const check = checkRequest(chatRequestSchema, body);
  if (!check.ok) throw invalid(check.message, check.param);
  const fields = body as Record<string, unknown>;
  const prompt = parseChatPrompt(fields);
  const sampling = checkSampling(fields);
  const format = parseResponseFormat(fields.response_format);
  if (!format.ok) throw invalid(format.error.message, format.error.param);
  return {
    model: check.fields.model,
    stream: check.fields.stream,
    includeUsage: includeUsage(fields),
    history: prompt.history,
    sampling,
    maxTokensParam: maxTokensParam(fields),
    format: format.format,
    reasoning: prompt.reasoning,
  };
}

function isTokenList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === "number" && Number.isInteger(item));
}

/** The one prompt of a completion body: a string or a token list, alone or in a one-item array. */
function singlePrompt(prompt: unknown): string | readonly number[] {
  if (typeof prompt === "string") return prompt;
  if (isTokenList(prompt) && prompt.length > 0) return prompt;
  if (Array.isArray(prompt) && prompt.length === 1) {
    const [only] = prompt;
    if (typeof only === "string" || isTokenList(only)) return only;
  }
  throw unsupported("serve answers one prompt per request; send the prompts as separate requests.", "prompt");
}

/** Checks a completion body. */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  const check = checkRequest(completionRequestSchema, body);
  if (!check.ok) throw invalid(check.message, check.param);
  const fields = body as Record<string, unknown>;
  const sampling = checkSampling(fields);
  if (typeof fields.best_of === "number" && fields.best_of > 1) {
    throw unsupported("serve generates one choice per request (best_of must be 1).", "best_of");
  }
  if (fields.echo === true) throw unsupported("'echo' is not supported by serve.", "echo");
  return {
    model: check.fields.model,
    stream: check.fields.stream,
    includeUsage: includeUsage(fields),
    prompt: singlePrompt(fields.prompt),
    sampling,
    maxTokensParam: maxTokensParam(fields),
  };
}
