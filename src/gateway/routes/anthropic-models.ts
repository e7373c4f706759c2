/**
 * `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape, for a request that carries
 * `anthropic-version` (the Anthropic SDK always does; Claude Code's model discovery too). The OpenAI
 * shape stays the default (routes/openai.ts). Errors here are Anthropic's too, although the path is
 * not under `/v1/messages`: the header says who is asking.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  type AnthropicModelInfo,
  type AnthropicModelPage,
  anthropicModelInfo,
  modelPage,
  parseModelPageQuery,
} from "../../protocol/anthropic/models.js";
import { errorBody } from "../error-reply.js";
import { GatewayError } from "../errors.js";

/** Whether the client speaks Anthropic's API and expects its shapes. */
export function wantsAnthropicShape(request: FastifyRequest): boolean {
  return request.headers["anthropic-version"] !== undefined;
}

/** The page the query asks for; a bad query is an Anthropic 400. */
export function anthropicModelList(
  request: FastifyRequest,
  reply: FastifyReply,
  ids: readonly string[],
  startedAt: number,
): AnthropicModelPage | FastifyReply {
  const parsed = parseModelPageQuery(request.query as Record<string, unknown>);
  if (!parsed.ok) {
    const error = new GatewayError("SWY_ERR_INVALID_REQUEST", parsed.message, { param: parsed.param });
    return sendAnthropicError(request, reply, error);
  }
  return modelPage(ids, parsed.query, createdAt(startedAt));
}

/** One model; `known` false is an Anthropic 404 naming it. */
export function anthropicModel(
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  known: boolean,
  startedAt: number,
): AnthropicModelInfo | FastifyReply {
  if (!known) {
    const message = `The model '${id}' does not exist or no backend serves it.`;
    return sendAnthropicError(request, reply, new GatewayError("SWY_ERR_MODEL_NOT_FOUND", message));
  }
  return anthropicModelInfo(id, createdAt(startedAt));
}

/** Models carry the gateway's start time, as the OpenAI list's `created` does. */
function createdAt(startedAt: number): string {
  return new Date(startedAt).toISOString();
}

function sendAnthropicError(request: FastifyRequest, reply: FastifyReply, error: GatewayError): FastifyReply {
  return reply
    .code(error.status)
    .headers({ "x-request-id": request.id })
    .type("application/json")
    .send(errorBody("anthropic", error));
}
