/**
 * OpenAI's error envelope. Every OpenAI-protocol error body the project sends is built here,
 * so clients (and the official SDKs, which read `error.message`/`error.code`) always see one shape.
 * @module
 */

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The `type` OpenAI clients expect for each HTTP status. */
export function openAIErrorType(status: number): string {
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
