/**
 * Anthropic's error envelope: `{type:"error", error:{type, message}}`. Switchyard's own errors take
 * their type from the error table; a backend's error, relayed or translated, has only a status, and
 * gets the type the Messages API documents for that status.
 * @module
 */
import { type AnthropicErrorType, ERROR_TABLE, type ErrorCode } from "../error-codes.js";

export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
}

export function anthropicErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

export function anthropicError(status: number, message: string): AnthropicErrorBody {
  return { type: "error", error: { type: anthropicErrorType(status), message } };
}

/** The body for one of Switchyard's own errors (the error table's `code`). */
export function anthropicCodedError(
  code: ErrorCode,
  message: string = ERROR_TABLE[code].message,
): AnthropicErrorBody {
  return { type: "error", error: { type: ERROR_TABLE[code].anthropic, message } };
}
