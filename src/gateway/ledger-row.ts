/**
 * A request's ledger row, from what its access-log entry gathered on the way (client key, model,
 * backend, attempts, tokens, first byte) and its answer. The row holds the key's name and id, never
 * the key; the prompt only when `ledger_keep_text` is on.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { LedgerRow } from "../ledger/row.js";
import { type AccessLogEntry, requestedModel } from "./access-log.js";
import type { Endpoint } from "./endpoint.js";

export function ledgerRowOf(
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: Endpoint,
  entry: AccessLogEntry,
  keepText: boolean,
): LedgerRow {
  const latencyMs = reply.elapsedTime;
  return {
    id: randomUUID(),
    requestId: request.id,
    time: new Date(Date.now() - latencyMs),
    keyName: entry.client ?? null,
    keyId: entry.clientId ?? null,
    modelAsked: requestedModel(request.body) ?? null,
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
    costUsd: null,
    sessionKey: entry.sessionKey ?? null,
    promptText: keepText && request.rawBody ? request.rawBody.toString("utf8") : null,
    completionText: null,
  };
}
