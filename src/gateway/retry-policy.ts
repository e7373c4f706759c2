/**
 * What a failed attempt was, as a value, and the one rule that says which failures another backend
 * may retry: nothing reached the backend or it hung up, it did not answer in time, or it answered
 * 408, 429 or 5xx. Any other answer is the backend's real answer and goes to the client. A backend
 * that said when to come back (`Retry-After` on a 429 or 503) is taken at its word: the client's
 * final 429/503 carries the soonest such time, and the backend is passed by until then
 * (retry-later.ts).
 * @module
 */
import { retryAfterMs as parseRetryAfter } from "../upstream/key-pool.js";

export type AttemptFailure =
  /** Nothing reached the backend, or it hung up before answering. */
  | { kind: "connect"; backend: string; cause: string }
  /** No response headers within the attempt's budget. */
  | { kind: "timeout"; backend: string; cause: string }
  /** The backend answered with a status another backend may do better on (isRetryableStatus). */
  | { kind: "status"; backend: string; status: number; retryAfterMs?: number | undefined; cause: string }
  /** Every key of the backend's pool was refused (401/403): the operator's problem, not the client's. */
  | { kind: "keys"; backend: string; cause: string }
  /** Anything else undici threw before the answer started. */
  | { kind: "error"; backend: string; cause: string };

/** Longest `Retry-After` taken from a backend: a larger one is a mistake, not a plan. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Statuses that say "not now" or "not me" rather than "not this request". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function isRetryable(failure: AttemptFailure): boolean {
  return failure.kind !== "status" || isRetryableStatus(failure.status);
}

/** The status says "come back later" and may carry when (RFC 9110: 429 and 503). */
export function isRefusal(status: number): status is 429 | 503 {
  return status === 429 || status === 503;
}

/** A response's `Retry-After` (seconds or an HTTP date; `retry-after-ms` first), bounded; undefined: none. */
export function retryAfterOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): number | undefined {
  const ms = parseRetryAfter(headers);
  return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}

export interface Refusal {
  status: 429 | 503;
  /** The soonest time any backend named, in milliseconds; undefined: none named one. */
  retryAfterMs: number | undefined;
}

/**
 * The client's answer when every attempt was refused with 429 or 503: 429 when every backend said
 * 429, else 503. Undefined when any failure was something else (then the answer is a 502 or 504).
 */
export function refusalOf(failures: readonly AttemptFailure[]): Refusal | undefined {
  if (failures.length === 0) return undefined;
  let status: 429 | 503 = 429;
  let retryAfterMs: number | undefined;
  for (const failure of failures) {
    if (failure.kind !== "status" || !isRefusal(failure.status)) return undefined;
    if (failure.status === 503) status = 503;
    if (failure.retryAfterMs !== undefined)
      retryAfterMs = Math.min(retryAfterMs ?? Infinity, failure.retryAfterMs);
  }
  return { status, retryAfterMs };
}

/** Whole seconds for a `Retry-After` header: at least 1, at most an hour. */
export function retryAfterSeconds(ms: number | undefined): string {
  if (ms === undefined) return "1";
  return String(Math.max(1, Math.ceil(Math.min(ms, MAX_RETRY_AFTER_MS) / 1000)));
}

/** How one failure reads in a 502/504 message and the failure log: `backend: cause`. */
export function describeFailure(failure: AttemptFailure): string {
  return `${failure.backend}: ${failure.cause}`;
}
