/**
 * Turns anything thrown while handling a request into an error body in the client's protocol.
 * Fastify's own errors (bad JSON, body too large, unsupported media type) map to our codes.
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { anthropicCodedError } from "../protocol/anthropic/errors.js";
import { ERROR_TABLE } from "../protocol/error-codes.js";
import { openAICodedError } from "../protocol/openai/errors.js";
import type { Protocol } from "../protocol/translate/translator.js";
import { noteErrorCode } from "./access-log.js";
import { clientProtocol } from "./endpoint.js";
import { GatewayError, type GatewayErrorCode } from "./errors.js";

const FASTIFY_CODES: Record<string, GatewayErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "SWY_ERR_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_JSON_BODY: "SWY_ERR_INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "SWY_ERR_INVALID_JSON",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "SWY_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "SWY_ERR_INVALID_REQUEST",
  FST_ERR_MAX_PARAM_LENGTH: "SWY_ERR_URL_TOO_LONG",
};

export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const fastifyError = error as Partial<FastifyError>;
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new GatewayError(mapped, fastifyError.message ?? "Bad request", { cause: error });
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new GatewayError("SWY_ERR_INVALID_REQUEST", fastifyError.message ?? "Bad request", {
      cause: error,
    });
  }
  return new GatewayError("SWY_ERR_INTERNAL", undefined, { cause: error });
}

/** The error body in the client's protocol (endpoint.ts says which that is). */
export function errorBody(protocol: Protocol, error: GatewayError): unknown {
  return protocol === "anthropic"
    ? anthropicCodedError(error.code, error.message)
    : openAICodedError(error.code, error.message, error.param);
}

export function sendError(request: FastifyRequest, reply: FastifyReply, thrown: unknown): void {
  const error = toGatewayError(thrown);
  noteErrorCode(request, ERROR_TABLE[error.code].code);
  if (error.code === "SWY_ERR_INTERNAL")
    request.log.error({ err: thrown, reqId: request.id }, "unexpected error");
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  reply
    .code(error.status)
    .headers({ ...error.headers, "x-request-id": request.id })
    .type("application/json")
    .send(errorBody(clientProtocol(request), error));
}
