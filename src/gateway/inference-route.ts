/**
 * The hooks every inference route runs around its handler: before it, the endpoint descriptor and
 * the request's record go on the request and client keys are checked; after it, the answer is
 * counted. Two hooks, not three: each hook costs fastify allocations on every request. A body
 * fastify refuses before the handler is answered by its path's protocol (error-reply.ts), and is
 * counted under the route's endpoint, which the closure below knows.
 * @module
 */
import type { onResponseHookHandler, preHandlerHookHandler } from "fastify";
import { newAccessLogEntry } from "./access-log.js";
import { authenticateClient } from "./client-auth.js";
import type { GatewayContext } from "./context.js";
import type { Endpoint } from "./endpoint.js";
import { countAnswer } from "./request-metrics.js";
import { watchGoodput } from "./slo-goodput.js";

export interface InferenceRouteHooks {
  preHandler: preHandlerHookHandler;
  onResponse: onResponseHookHandler;
}

export function inferenceRouteHooks(ctx: GatewayContext, endpoint: Endpoint): InferenceRouteHooks {
  const authenticate = authenticateClient(ctx);
  return {
    preHandler: function inferencePreHandler(request, reply, done) {
      request.endpoint = endpoint;
      // The access log, when on, made the entry already: the record is shared, not duplicated.
      request.accessLog ??= newAccessLogEntry();
      watchGoodput(ctx, request, reply);
      authenticate.call(this, request, reply, done);
    },
    onResponse: (request, reply, done) => {
      countAnswer(ctx.metrics, request, reply, endpoint);
      done();
    },
  };
}
