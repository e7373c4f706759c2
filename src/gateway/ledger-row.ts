/**
 * A request's ledger row, from what its access-log entry gathered on the way (client key, model,
 * backend, attempts, tokens, first byte) and its answer. The row holds the key's name and id, never
 * the key; the prompt only when `ledger_keep_text` is on. Its cost is priced as budgets price it
 * (`pricesOf`: the `prices` setting over the default table), for the model the request resolved to.
 * @module
 */
import { randomUUID } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayConfig } from "../config/schema.js";
import type { LedgerRow } from "../ledger/row.js";
import { type AccessLogEntry, requestedModel } from "./access-log.js";
import { pricesOf } from "./budget-admission.js";
import type { Endpoint } from "./endpoint.js";

export function ledgerRowOf(
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: Endpoint,
  entry: AccessLogEntry,
  config: GatewayConfig,
): LedgerRow {
  const latencyMs = reply.elapsedTime;
  const modelAsked = requestedModel(request.body) ?? null;
  return {
    id: randomUUID(),
    requestId: request.id,
    time: new Date(Date.now() - latencyMs),
    keyName: entry.client ?? null,
    keyId: entry.clientId ?? null,
    modelAsked,
    modelServed: entry.sentModel ?? entry.model ?? null,
    backend: entry.backend ?? null,
    protocol: endpoint.protocol,
    route: endpoint.name,
    status: reply.raw.statusCode,
    errorCode: entry.errorCode ?? null,
    attempts: entry.attempts,
    latencyMs,
    ttfbMs: entry.firstByteMs ?? null,
    inputTokens: entry.promptTokens ?? null,
    outputTokens: entry.completionTokens ?? null,
    cachedTokens: entry.cachedTokens ?? null,
    reasoningTokens: entry.reasoningTokens ?? null,
    costUsd: costOf(entry, modelAsked, config),
    sessionKey: entry.sessionKey ?? null,
    promptText: config.ledger_keep_text && request.rawBody ? request.rawBody.toString("utf8") : null,
    completionText: config.ledger_keep_text ? (entry.completionText ?? null) : null,
  };
}

/** USD for the tokens the usage reported; null when it reported none (a gateway-made answer, a cut stream). */
function costOf(entry: AccessLogEntry, modelAsked: string | null, config: GatewayConfig): number | null {
  if (entry.promptTokens === undefined && entry.completionTokens === undefined) return null;
  const model = entry.model ?? modelAsked;
  if (model === null) return null;
  return pricesOf(config).costOf(model, {
    input: entry.promptTokens ?? 0,
    output: entry.completionTokens ?? 0,
    cached: entry.cachedTokens,
  });
}

/**
 * Keeps a streamed answer's text as the client gets it (its events, as sent) for the ledger's
 * `completion_text`, the first `maxChars` characters of it: a stream may run long, the kept text
 * may not. Chunks cut mid-character are decoded whole.
 */
export function keepStreamText(request: FastifyRequest, maxChars: number): (piece: Buffer | string) => void {
  const entry = request.accessLog;
  const decoder = new StringDecoder("utf8");
  let left = maxChars;
  return (piece) => {
    if (!entry || left <= 0) return;
    const text = typeof piece === "string" ? piece : decoder.write(piece);
    const kept = text.length > left ? text.slice(0, left) : text;
    left -= kept.length;
    entry.completionText = (entry.completionText ?? "") + kept;
  };
}
