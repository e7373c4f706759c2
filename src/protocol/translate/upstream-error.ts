/**
 * Reading upstream error bodies of any shape, and the HTTP status each protocol's error types mean.
 * Building client error bodies stays in `protocol/openai/errors.ts` and `protocol/anthropic/errors.ts`.
 * @module
 */
import { isJsonObject } from "./json.js";

/** The most a client is shown of a non-JSON upstream body (an HTML error page, a proxy's text). */
const MAX_TEXT_MESSAGE = 1000;

/** An error as read from an upstream body: its message and whatever type and code it named. */
export interface UpstreamError {
  readonly message: string;
  readonly type: string | null;
  readonly code: unknown;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/**
 * The error an upstream body describes. Understands OpenAI's `{error:{message,type,code}}`,
 * Anthropic's `{type:"error",error:{type,message}}`, vLLM's older flat `{object:"error",message,…}`,
 * FastAPI's `{detail}` and plain text; anything else gets a message naming the status.
 */
export function readUpstreamError(body: unknown, status: number): UpstreamError {
  const fallback = `Upstream returned HTTP ${status}.`;
  const plain = text(body);
  if (plain !== null) return { message: plain.trim().slice(0, MAX_TEXT_MESSAGE), type: null, code: null };
  if (!isJsonObject(body)) return { message: fallback, type: null, code: null };
  const inner = isJsonObject(body.error) ? body.error : body;
  const message = text(inner.message) ?? text(body.error) ?? text(body.detail) ?? fallback;
  return { message, type: text(inner.type), code: inner.code ?? null };
}

/** Whether a streamed payload is an error rather than a chunk (OpenAI-compatible servers send these mid-stream). */
export function isStreamedError(payload: unknown): boolean {
  if (!isJsonObject(payload)) return false;
  return (payload.error !== undefined && payload.error !== null) || payload.object === "error";
}

const STATUS_FOR_ANTHROPIC_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const STATUS_FOR_OPENAI_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  insufficient_quota: 429,
  server_error: 500,
  timeout_error: 504,
};

/** The status an error carried without one (a stream's `error` event) stands for. */
export function statusForError(error: UpstreamError): number {
  if (typeof error.code === "number" && error.code >= 400 && error.code <= 599) return error.code;
  const type = error.type ?? "";
  // Own keys only: a type named "constructor" or "toString" must not find Object.prototype's.
  if (Object.hasOwn(STATUS_FOR_ANTHROPIC_TYPE, type)) return STATUS_FOR_ANTHROPIC_TYPE[type]!;
  if (Object.hasOwn(STATUS_FOR_OPENAI_TYPE, type)) return STATUS_FOR_OPENAI_TYPE[type]!;
  return 500;
}
