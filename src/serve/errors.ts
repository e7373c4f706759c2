/**
 * Every error `switchyard serve` answers with, by stable code, and the one function that sends them.
 * Bodies are OpenAI's envelope (`openAIError`); tests check `code` and status, not message text.
 * A client mistake is a 4xx; anything thrown that is not a {@link ServeError} becomes SWY_ERR_SERVE_INTERNAL
 * (500) and is logged with the request id.
 * @module
 */
import type { FastifyError, FastifyReply } from "fastify";
import { openAIError } from "../protocol/openai/errors.js";

export const SERVE_ERROR_CODES = {
  SWY_ERR_SERVE_INVALID_JSON: { status: 400, clientCode: "invalid_json" },
  SWY_ERR_SERVE_INVALID_REQUEST: { status: 400, clientCode: "invalid_request" },
  SWY_ERR_SERVE_CONTEXT_LENGTH: { status: 400, clientCode: "context_length_exceeded" },
  SWY_ERR_SERVE_UNSUPPORTED: { status: 400, clientCode: "unsupported_parameter" },
  SWY_ERR_SERVE_MODEL_NOT_FOUND: { status: 404, clientCode: "model_not_found" },
  SWY_ERR_SERVE_ROUTE_NOT_FOUND: { status: 404, clientCode: "unknown_url" },
  SWY_ERR_SERVE_BODY_TOO_LARGE: { status: 413, clientCode: "request_too_large" },
  SWY_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE: { status: 415, clientCode: "unsupported_media_type" },
  SWY_ERR_SERVE_QUEUE_FULL: { status: 429, clientCode: "queue_full" },
  /** The model's output broke the requested JSON format even after the retry policy. */
  SWY_ERR_SERVE_INVALID_OUTPUT: { status: 500, clientCode: "invalid_model_output" },
  SWY_ERR_SERVE_INTERNAL: { status: 500, clientCode: "internal_error" },
  SWY_ERR_SERVE_LOADING: { status: 503, clientCode: "model_loading" },
} as const satisfies Record<string, { status: number; clientCode: string }>;

export type ServeErrorCode = keyof typeof SERVE_ERROR_CODES;

export class ServeError extends Error {
  override readonly name = "ServeError";
  readonly code: ServeErrorCode;
  readonly status: number;
  /** The request field at fault (OpenAI's `error.param`). */
  readonly param: string | null;
  /** Seconds for `Retry-After` (429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ServeErrorCode,
    message: string,
    options: { param?: string | null; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = SERVE_ERROR_CODES[code].status;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get clientCode(): string {
    return SERVE_ERROR_CODES[this.code].clientCode;
  }

  /** The OpenAI error body for this error. */
  body() {
    return openAIError(this.status, this.message, this.clientCode, this.param);
  }
}

const FASTIFY_CODES: Readonly<Record<string, ServeErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "SWY_ERR_SERVE_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_JSON_BODY: "SWY_ERR_SERVE_INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "SWY_ERR_SERVE_INVALID_JSON",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "SWY_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "SWY_ERR_SERVE_INVALID_REQUEST",
};

/** Anything thrown while handling a request, as a {@link ServeError}. */
export function toServeError(error: unknown): ServeError {
  if (error instanceof ServeError) return error;
  const fastifyError = error as Partial<FastifyError>;
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) {
    return new ServeError(mapped, fastifyError.message ?? "Bad request", { cause: error });
  }
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new ServeError("SWY_ERR_SERVE_INVALID_REQUEST", fastifyError.message ?? "Bad request", {
      cause: error,
    });
  }
  return new ServeError("SWY_ERR_SERVE_INTERNAL", "The model server hit an unexpected error.", {
    cause: error,
  });
}

/** Sends `error` as an OpenAI error body, with `Retry-After` when it has one. */
export function sendServeError(reply: FastifyReply, error: ServeError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  return reply.code(error.status).send(error.body());
}
