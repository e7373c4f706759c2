/**
 * Error replies in the protocol of the route that failed. Bodies come from the shared builders in
 * `protocol/`; this file only picks the protocol and adds `retry-after` where a client should come
 * back (429 and 503). Injected failures have any status a test asks for, so they are built from the
 * status; the mock's fixed answers (unknown model, unknown URL, loading, busy) are error-table codes
 * and answer exactly as Switchyard's own servers do.
 * @module
 */
import type { FastifyReply } from "fastify";
import { anthropicCodedError, anthropicError } from "../protocol/anthropic/errors.js";
import { ERROR_TABLE, type ErrorCode } from "../protocol/error-codes.js";
import { openAICodedError, openAIError } from "../protocol/openai/errors.js";
import { retryAfterFor } from "./faults.js";

export type Protocol = "openai" | "anthropic";

/** Anthropic's Messages API lives under `/v1/messages`; every other route speaks OpenAI. */
export function protocolOf(url: string): Protocol {
  return url.startsWith("/v1/messages") ? "anthropic" : "openai";
}

export interface ErrorDetails {
  /** OpenAI's `error.code` (Anthropic bodies have none). */
  code?: string | null;
  /** OpenAI's `error.param`. */
  param?: string | null;
  /** Seconds for `retry-after`; defaults to 1 for 429 and 503. */
  retryAfter?: string;
}

export function errorBody(protocol: Protocol, status: number, message: string, details: ErrorDetails = {}) {
  return protocol === "anthropic"
    ? anthropicError(status, message)
    : openAIError(status, message, details.code ?? null, details.param ?? null);
}

export function sendError(
  reply: FastifyReply,
  protocol: Protocol,
  status: number,
  message: string,
  details: ErrorDetails = {},
): FastifyReply {
  const retryAfter = details.retryAfter ?? retryAfterFor(status);
  if (retryAfter !== undefined) reply.header("retry-after", retryAfter);
  return reply.code(status).send(errorBody(protocol, status, message, details));
}

/** Sends a table code's body, with the status, types and client code the table gives it. */
export function sendCodedError(
  reply: FastifyReply,
  protocol: Protocol,
  code: ErrorCode,
  message: string,
  details: Omit<ErrorDetails, "code"> = {},
): FastifyReply {
  const { status } = ERROR_TABLE[code];
  const retryAfter = details.retryAfter ?? retryAfterFor(status);
  if (retryAfter !== undefined) reply.header("retry-after", retryAfter);
  return reply
    .code(status)
    .send(
      protocol === "anthropic"
        ? anthropicCodedError(code, message)
        : openAICodedError(code, message, details.param ?? null),
    );
}
