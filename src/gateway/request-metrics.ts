/**
 * `switchyard_requests_total` and `switchyard_request_duration_seconds`, counted once per answered
 * inference request whoever made the answer: a backend, or the gateway itself (400, 401, 404, 429,
 * 502, 503, 504). Labels stay bounded: the route is the endpoint's name, the model is one a backend
 * serves (else "unknown", never the client's string), the backend "none" when the gateway answered.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayContext } from "./context.js";
import type { Endpoint } from "./endpoint.js";
import { ledgerRowOf } from "./ledger-row.js";
import { endRequestTrace } from "./request-trace.js";
import { endRouteTrail } from "./route-decisions.js";
import { statusLabel } from "./status-label.js";

export const UNKNOWN_MODEL = "unknown";
export const NO_BACKEND = "none";

/**
 * Counts the answer `reply` carries, when it finished or the client left, and hands its row to the
 * request ledger when that is on; a second call is a no-op.
 */
export function countAnswer(
  ctx: Pick<GatewayContext, "metrics" | "ledger" | "config">,
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: Endpoint | null = request.endpoint,
): void {
  if (endpoint === null) return;
  const entry = request.accessLog;
  if (entry?.counted) return;
  if (entry) entry.counted = true;
  const model = entry?.model ?? UNKNOWN_MODEL;
  const backend = entry?.answeredBy ?? NO_BACKEND;
  ctx.metrics.requests.inc(1, endpoint.name, model, backend, statusLabel(reply.raw.statusCode));
  ctx.metrics.requestDuration.observe(reply.elapsedTime / 1000, endpoint.name, model);
  if (ctx.ledger && entry) ctx.ledger.record(ledgerRowOf(request, reply, endpoint, entry, ctx.config));
  // Asked only with a trace: Node computes writableFinished from the response and its socket.
  if (request.trace) endRequestTrace(request, reply, !reply.raw.writableFinished);
  endRouteTrail(request, reply, endpoint.name);
}
