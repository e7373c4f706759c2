/**
 * Sorting transport failures into the few kinds a report shows (`timeout`, `connect`, `socket`,
 * `aborted`, `other`), from the `code` undici or the socket layer puts on the error.
 * @module
 */
import type { ErrorKind } from "./load-types.js";

const TRANSPORT_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  ETIMEDOUT: "timeout",
  ECONNREFUSED: "connect",
  ENOTFOUND: "connect",
  EHOSTUNREACH: "connect",
  EADDRNOTAVAIL: "connect",
  UND_ERR_SOCKET: "socket",
  ECONNRESET: "socket",
  EPIPE: "socket",
  UND_ERR_ABORTED: "aborted",
  UND_ERR_DESTROYED: "aborted",
  UND_ERR_CLOSED: "aborted",
  ABORT_ERR: "aborted",
};

/** The kind of a transport error, from its `code` (undici's or the socket's). */
export function classifyError(error: unknown): { kind: ErrorKind; code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof code === "string") return { kind: TRANSPORT_ERROR_KINDS[code] ?? "other", code };
  if (name === "AbortError") return { kind: "aborted", code: "ABORT_ERR" };
  return { kind: "other", code: typeof name === "string" ? name : "Error" };
}

/** What the run aborts its requests with (drain timeout, abort signal): classified as `aborted`. */
export class RunAbortError extends Error {
  readonly code = "UND_ERR_ABORTED";
}
