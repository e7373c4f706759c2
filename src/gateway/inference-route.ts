/**
 * The hooks every inference route runs around its handler: the endpoint descriptor and the request's
 * record go on the request first (so even a body fastify refuses is answered in the route's
 * protocol), client keys are checked before the handler, and the answer is counted once it is sent.
 * @module
 */
import type { onRequestHookHandler, onResponseHookHandler, preHandlerHookHandler } from "fastify";
import { newAccessLogEntry } from "./access-log.js";
import { authenticateClient } from "./client-auth.js";
import type { GatewayContext } from "./context.js";
import type { Endpoint } from "./endpoint.js";
import { countAnswer } from "./request-metrics.js";

export interface InferenceRouteHooks {
  onRequest: onRequestHookHandler;
  preHandler: preHandlerHookHandler;
  onResponse: onResponseHookHandler;
}

export function inferenceRouteHooks(ctx: GatewayContext, endpoint: Endpoint): InferenceRouteHooks {
  return {
    onRequest: (request, _reply, done) => {
      request.endpoint = endpoint;
      // The access log, when on, made the entry already: the record is shared, not duplicated.
      request.accessLog ??= newAccessLogEntry();
      done();
    },
    preHandler: authenticateClient(ctx),
    onResponse: (request, reply, done) => {
      countAnswer(ctx.metrics, request, reply);
      done();
    },
  };
}
