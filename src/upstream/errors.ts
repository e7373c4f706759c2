/**
 * Classifies what went wrong talking to an upstream, from undici's error codes and Node's socket
 * errors, so the pipeline can decide between retry, 502 and 504 without string matching.
 * @module
 */

export type UpstreamFailure =
  /** Nothing reached the backend or it hung up: safe to try another backend. */
  | "connect"
  /** The backend did not send response headers in time. */
  | "timeout"
  /** The body stalled or broke after headers arrived. */
  | "body"
  /** Our own abort (client went away). */
  | "aborted"
  | "other";

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  // The address policy refused the backend's address: nothing was sent.
  "SWY_ERR_ADDRESS_REFUSED",
  // An origin that stopped offering HTTP/2 answered http/1.1 on a new connection: nothing was sent.
  "SWY_ERR_H2_WITHDRAWN",
  // An origin learnt as HTTP/1.1 chose h2 on a new connection: nothing was sent.
  "SWY_ERR_H2_OFFERED",
]);

export function classifyUpstreamError(error: unknown): UpstreamFailure {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "AbortError" || code === "UND_ERR_ABORTED" || code === "ABORT_ERR") return "aborted";
  if (code === "UND_ERR_HEADERS_TIMEOUT") return "timeout";
  if (code === "UND_ERR_BODY_TIMEOUT") return "body";
  if (typeof code === "string" && CONNECT_CODES.has(code)) return "connect";
  return "other";
}

export function describeUpstreamError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}
