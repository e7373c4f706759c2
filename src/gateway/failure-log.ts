/**
 * Log lines for upstream failures, so an operator can follow one request through its attempts by
 * its `reqId`: a failure that another attempt follows is `info`, one that ends the request (or
 * breaks an answer already under way) is `warn`. Written whatever the access log's setting.
 * @module
 */
import type { Logger } from "pino";
import { describeUpstreamError } from "../upstream/errors.js";

export interface AttemptFailure {
  reqId: string;
  backend: string;
  /** 1 for the first attempt of the request. */
  attempt: number;
  /** An HTTP status and the backend's message, or an error code and message. */
  reason: string;
  /** Another backend gets the request next. */
  retrying: boolean;
}

export function logAttemptFailure(logger: Logger, failure: AttemptFailure): void {
  if (failure.retrying) logger.info(failure, "upstream attempt failed; retrying on another backend");
  else logger.warn(failure, "upstream attempt failed; no attempt left");
}

/** The backend failed after the answer's first byte reached the client: it cannot be retried. */
export function logBrokenAnswer(logger: Logger, reqId: string, backend: string, error: Error): void {
  logger.warn({ reqId, backend, reason: describeUpstreamError(error) }, "upstream failed mid-answer");
}
