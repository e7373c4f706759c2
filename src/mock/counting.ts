/**
 * The path of the routes that count tokens instead of generating (`/tokenize`,
 * `/v1/messages/count_tokens`): counted in the stats → 400 if invalid → 404 for a model the mock does not
 * serve → the count. No fault applies (as for `/v1/models`): a gateway asks these on the side of a
 * conversation, and a test injecting failures means its generations. `--unavailable-for` still does.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { MockContext } from "./context.js";
import { type Protocol, sendCodedError, sendError } from "./errors.js";
import { notFoundMessage } from "./inference.js";
import type { Parsed } from "./requests.js";
import { apiKeyOf } from "./stats.js";

export interface CountCall<T extends { model?: string | undefined }> {
  route: "count_tokens" | "tokenize";
  protocol: Protocol;
  parsed: Parsed<T>;
  /** The answer's body, for a valid request. */
  answer(request: T): unknown;
}

export function serveCount<T extends { model?: string | undefined }>(
  context: MockContext,
  request: FastifyRequest,
  reply: FastifyReply,
  call: CountCall<T>,
): FastifyReply {
  const { parsed, protocol } = call;
  const model = parsed.ok ? (parsed.value.model ?? null) : null;
  context.stats.record(call.route, model, false, apiKeyOf(request.headers));
  if (!parsed.ok) return sendError(reply, protocol, 400, parsed.message, { param: parsed.param });
  if (model !== null && !context.models.has(model)) {
    const message = notFoundMessage(protocol, model);
    return sendCodedError(reply, protocol, "SWY_ERR_MODEL_NOT_FOUND", message, { param: "model" });
  }
  return reply.send(call.answer(parsed.value));
}
