/**
 * `switchyard serve`'s errors: the `SWY_ERR_SERVE_*` half of the error table
 * (`protocol/error-codes.ts`), and the one function that sends them. Bodies are OpenAI's envelope.
 * A client mistake is a 4xx; anything thrown that is not a {@link ServeError} becomes SWY_ERR_SERVE_INTERNAL
 * (500) and is logged with the request id.
 * @module
 */
import type { FastifyError, FastifyReply } from "fastify";
import { type ServeErrorCode, SwitchyardError } from "../protocol/error-codes.js";
import { openAICodedError } from "../protocol/openai/errors.js";

export type { ServeErrorCode };

export class ServeError extends SwitchyardError<ServeErrorCode> {
  override readonly name = "ServeError";
  /** Seconds for `Retry-After` (429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ServeErrorCode,
    message?: string,
    options: { param?: string | null; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The OpenAI error body for this error. */
  body() {
    return openAICodedError(this.code, this.message, this.param);
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
  return new ServeError("SWY_ERR_SERVE_INTERNAL", undefined, { cause: error });
}

/** Sends `error` as an OpenAI error body, with `Retry-After` when it has one. */
export function sendServeError(reply: FastifyReply, error: ServeError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  return reply.code(error.status).send(error.body());
}
