/**
 * The request's OpenTelemetry trace (telemetry/), carried on the request like its access-log
 * record: started by the inference routes' preHandler, given an attempt span by each upstream
 * attempt, ended with the record when the answer is counted. Null when export is off, so every step
 * here is a null check on the hot path.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RequestTrace, Telemetry } from "../telemetry/telemetry.js";
import type { Endpoint } from "./endpoint.js";

declare module "fastify" {
  interface FastifyRequest {
    trace: RequestTrace | null;
  }
}

/** Decorated on every request (null), so requests keep one shape whether export is on or not. */
export function decorateRequestTrace(app: FastifyInstance): void {
  app.decorateRequest("trace", null);
}

export function startRequestTrace(
  telemetry: Telemetry | null,
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: Endpoint,
): void {
  if (!telemetry || request.trace) return;
  const { traceparent, tracestate } = request.headers;
  request.trace = telemetry.startRequest({
    endpoint: endpoint.name,
    traceparent: typeof traceparent === "string" ? traceparent : undefined,
    tracestate: typeof tracestate === "string" ? tracestate : undefined,
    startedAt: Date.now() - reply.elapsedTime,
    stream: (request.body as { stream?: unknown } | undefined)?.stream === true,
  });
}

/** Ends the request's span with what its record says; a no-op without a trace or a second time. */
export function endRequestTrace(request: FastifyRequest, reply: FastifyReply, clientGone: boolean): void {
  const trace = request.trace;
  if (!trace) return;
  const entry = request.accessLog;
  trace.end({
    status: reply.raw.statusCode,
    requestModel: requestedModel(request.body),
    responseModel: entry?.sentModel,
    answeredBy: entry?.answeredBy,
    attempts: entry?.attempts ?? 0,
    inputTokens: entry?.promptTokens,
    outputTokens: entry?.completionTokens,
    firstByteMs: entry?.firstByteMs,
    durationMs: reply.elapsedTime,
    clientGone,
  });
}

function requestedModel(body: unknown): string | undefined {
  const model = (body as { model?: unknown } | undefined)?.model;
  return typeof model === "string" ? model : undefined;
}
