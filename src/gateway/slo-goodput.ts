/**
 * Goodput under SLO admission: when the answer's first byte reaches the client, a successful answer
 * counts as met or missed against its model's `ttft_slo` (from the request's arrival, queue waits
 * included: what the client saw), and the backend's TTFT (from sending to that byte) feeds the
 * estimate admission reads (routing/slo-admission.ts). Only installed while some model has a target,
 * so without one no request pays for the watch.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayConfig } from "../config/schema.js";
import { sloConfigured, sloTargetFor } from "../routing/slo-admission.js";
import { onFirstByte } from "./access-log.js";
import type { GatewayContext } from "./context.js";

let checkedConfig: GatewayConfig | undefined;
let configured = false;

/** Whether any model has a target; asked per request, computed once per configuration. */
export function anySlo(config: GatewayConfig): boolean {
  if (config !== checkedConfig) {
    checkedConfig = config;
    configured = sloConfigured(config);
  }
  return configured;
}

/** Watches the request's first byte, when some model has a target. */
export function watchGoodput(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply): void {
  if (!anySlo(ctx.config)) return;
  onFirstByte(reply, () => recordFirstByte(ctx, request, reply));
}

function recordFirstByte(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply): void {
  const entry = request.accessLog;
  // A gateway-made error (no backend, shed, bad request) is no answer: it is counted elsewhere.
  if (!entry?.model || entry.backend === undefined || reply.raw.statusCode >= 400) return;
  if (entry.sentAt !== undefined) {
    ctx.slo.observe(entry.backend, performance.now() - entry.sentAt, entry.sentAhead);
  }
  const target = sloTargetFor(ctx.config, entry.model);
  if (!target) return;
  const counter = reply.elapsedTime <= target.sloMs ? ctx.metrics.sloMet : ctx.metrics.sloMissed;
  counter.inc(1, entry.model);
}
