/**
 * The SSE frame that ends a stream with an error, in each protocol: OpenAI-compatible servers send
 * an error body as a `data:` frame, Anthropic sends an `error` event. Every mid-stream error the
 * gateway writes, translated or not, is built here.
 * @module
 */
import { anthropicError } from "./anthropic/errors.js";
import { ERROR_TABLE } from "./error-codes.js";
import { openAIError } from "./openai/errors.js";
import { sseData, sseEvent } from "./sse.js";
import type { Protocol } from "./translate/translator.js";

/**
 * OpenAI's `error.code` for a stream the gateway ends because its backend failed. The frame keeps
 * the status of the failure (502, or 504 for a body that stalled), so it is not a table entry's body.
 */
export const UPSTREAM_FAILED = ERROR_TABLE.SWY_ERR_UPSTREAM_FAILED.code;

/** One frame that reports an error to a client of `protocol`; `code` is OpenAI's `error.code`. */
export function streamErrorFrame(
  protocol: Protocol,
  status: number,
  message: string,
  code: string | null = null,
): string {
  return protocol === "openai"
    ? sseData(openAIError(status, message, code))
    : sseEvent("error", anthropicError(status, message));
}
