/**
 * OpenAI's error envelope. Every OpenAI-protocol error body the project sends is built here,
 * so clients (and the official SDKs, which read `error.message`/`error.code`) always see one shape.
 * Switchyard's own errors take their `type` and `code` from the error table; a backend's error,
 * relayed or translated, has only a status, and gets the type OpenAI uses for that status.
 * @module
 */
import { ERROR_TABLE, type ErrorCode, type OpenAIErrorType } from "../error-codes.js";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The `type` OpenAI clients expect for each HTTP status. */
export function openAIErrorType(status: number): OpenAIErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status === 504) return "timeout_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function openAIError(
  status: number,
  message: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type: openAIErrorType(status), param, code } };
}

/** The body for one of Switchyard's own errors (the error table's `code`). */
export function openAICodedError(
  code: ErrorCode,
  message: string = ERROR_TABLE[code].message,
  param: string | null = null,
): OpenAIErrorBody {
  const entry = ERROR_TABLE[code];
  return { error: { message, type: entry.openai, param, code: entry.code } };
}
