/**
 * The SSE frame that ends a stream with an error, in each protocol: OpenAI-compatible servers send
 * an error body as a `data:` frame, Anthropic sends an `error` event, and the Responses API an `error`
 * event whose body is flat (`{type, code, message, param, sequence_number}`). Every mid-stream error
 * the gateway writes, translated or not, is built here.
 *
 * A translated Responses stream ends with `response.failed` instead (its converter knows the response
 * it was building); this `error` event is for streams the gateway did not build, such as a native
 * Responses backend's bytes, where the response object is unknown.
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

/**
 * One frame that reports an error to a client of `protocol`; `code` is OpenAI's `error.code`.
 * @param sequenceNumber the Responses API's `sequence_number` for the frame: one more than the last
 *   event the client saw. Where nobody read the stream it is unknown and 0 is written, which the
 *   schema accepts and which clients do not check on `error` events.
 */
export function streamErrorFrame(
  protocol: Protocol,
  status: number,
  message: string,
  code: string | null = null,
  sequenceNumber = 0,
): string {
  if (protocol === "openai") return sseData(openAIError(status, message, code));
  if (protocol === "anthropic") return sseEvent("error", anthropicError(status, message));
  const event = { type: "error", code, message, param: null, sequence_number: sequenceNumber };
  return sseEvent("error", event);
}
