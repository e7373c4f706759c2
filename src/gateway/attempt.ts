/**
 * One attempt of a proxied request on one backend: lease, send, classify the answer, relay it.
 * Client and backend may speak different protocols; then the request and the answer go through a
 * translator. The lease taken here is released exactly once, in `finally`, with the breaker told
 * the verdict (success, failure, or none when the client left first).
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import { ANTHROPIC_VERSION } from "../protocol/translate/openai-to-anthropic.js";
import type { Translator } from "../protocol/translate/translator.js";
import { type ResponseSeparationOptions, separateChatCompletion } from "../reasoning/openai-response.js";
import type { BackendState } from "../routing/backend.js";
import type { Lease } from "../state/store.js";
import type { ClientGone } from "../upstream/client-gone.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "../upstream/headers.js";
import { noteAttempt, noteUsage } from "./access-log.js";
import { forwardedModel } from "./backend-model.js";
import { type Client, recordTokens } from "./client-keys.js";
import type { GatewayContext } from "./context.js";
import { AttemptSignal, continuationBudgetMs, type RequestDeadline, undiciTimeout } from "./deadline.js";
import { logBrokenAnswer } from "./failure-log.js";
import type { ProxyRequest } from "./pipeline.js";
import {
  ReasoningStreamConverter,
  reasoningTransform,
  separateThenTranslate,
} from "./reasoning-transform.js";
import { type ResponseTransform, relay, writeJsonResponse } from "./relay.js";
import { retryLater } from "./retry-later.js";
import { type AttemptFailure, isRefusal, isRetryableStatus, retryAfterOf } from "./retry-policy.js";
import { type Continuation, type ContinueStream, relayResumable } from "./stream-resume.js";
import { translateCredentials, translatorFor } from "./translation.js";

export type AttemptResult =
  | { kind: "relayed" }
  | { kind: "aborted" }
  /** Nothing reached the client: another backend may take the request (retry-policy.ts). */
  | { kind: "failed"; failure: AttemptFailure }
  /** The backend's global cap (shared state) is reached: nothing was sent, try again later. */
  | { kind: "full" };

export interface Attempt {
  /** The gateway client the request authenticated as; its key is never forwarded upstream. */
  client?: Client | undefined;
  proxied: ProxyRequest;
  /** The resolved model the request is routed by (a backend may answer to an id of its own for it: backend-model.ts). */
  model: string;
  /** The client's body with the resolved model, as bytes. */
  body: Buffer;
  backend: BackendState;
  signal: ClientGone;
  /** The request's deadline: this attempt gets what is left of it, at most `attempt_timeout`. */
  deadline: RequestDeadline;
  debugHeader: string | undefined;
  /** Set when the client opted into resuming a broken stream on another backend. */
  continueStream?: ContinueStream | undefined;
}

export async function attemptOnce(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  attempt: Attempt,
): Promise<AttemptResult> {
  const { proxied, model, backend } = attempt;
  const strategy = ctx.strategies.for(model);
  // With shared state, a capped backend's cap holds across replicas: one atomic acquire (the only
  // round trip a request waits on). Without it, nothing here is awaited: the local count decides.
  let lease: Lease | undefined;
  let renewal: NodeJS.Timeout | undefined;
  if (ctx.sharedState && backend.maxConnections > 0) {
    const ttlMs = ctx.config.lease_ttl * 1000;
    lease = await ctx.state.acquire(backend.id, backend.maxConnections, ttlMs);
    if (!lease) return { kind: "full" };
    const held = lease;
    renewal = setInterval(() => void held.renew(ttlMs), ttlMs / 2);
    renewal.unref();
  }
  noteAttempt(request, backend.id, model);
  backend.inflight++;
  backend.requests++;
  backend.circuit.onAttempt();
  let verdict: "success" | "failure" | undefined;
  // Key rotation, connecting and waiting for headers all count against the budget: the signal
  // aborts whichever is under way when it runs out.
  const budgetMs = attempt.deadline.attemptBudgetMs();
  const signal = new AttemptSignal(attempt.signal, budgetMs);
  const headersTimeout = undiciTimeout(budgetMs);
  // A started body may fall silent between chunks this long (a stream is not cut by the deadline).
  const bodyTimeout = undiciTimeout(ctx.config.request_timeout * 1000);
  const sentAt = performance.now();
  const fail = (reason: string) => {
    verdict = "failure";
    backend.failures++;
    ctx.metrics.upstreamFailures.inc(1, backend.id, reason);
  };
  try {
    const translator = translatorFor(proxied.endpoint.protocol, backend.kind);
    let path = proxied.endpoint.path;
    const forwarded = forwardedModel(backend, model, attempt.body, proxied.parsedBody);
    let body = forwarded.body;
    let headers = upstreamRequestHeaders(request.headers, request.id);
    if (attempt.client) headers = withoutCredentials(headers);
    if (translator) {
      const translated = translator.request({ ...proxied.parsedBody, model: forwarded.model });
      if (!translated.ok) {
        verdict = undefined;
        sendJson(reply, translated.status, translated.body, request.id);
        return { kind: "relayed" };
      }
      path = translated.path;
      body = Buffer.from(JSON.stringify(translated.body));
      headers = translateCredentials(headers, backend.kind, translated.headers);
    }

    // With a key pool, a key that is rate limited or refused is swapped for the next one, on this
    // backend, before anything reaches the client; without one the client's credentials go through.
    const pool = backend.keyPool;
    const triedKeys = new Set<string>();
    let response: Dispatcher.ResponseData;
    for (;;) {
      const key = pool?.next(triedKeys);
      if (pool && key === undefined) {
        const wait = pool.retryAfterMs();
        return {
          kind: "failed",
          failure:
            wait === undefined
              ? { kind: "keys", backend: backend.id, cause: "every API key was refused (401/403)" }
              : {
                  kind: "status",
                  backend: backend.id,
                  status: 429,
                  retryAfterMs: wait,
                  cause: `every API key is rate limited for ${Math.ceil(wait / 1000)} s`,
                },
        };
      }
      if (key !== undefined) {
        triedKeys.add(key);
        headers = withKey(headers, backend.kind, key);
      }
      try {
        response = await ctx.pools.for(backend.origin).request({
          method: "POST",
          path: backend.pathFor(path),
          headers,
          body,
          signal,
          headersTimeout,
          bodyTimeout,
        });
      } catch (error) {
        const failure = signal.timedOut ? "timeout" : classifyUpstreamError(error);
        if (failure === "aborted" || attempt.signal.aborted) return { kind: "aborted" };
        const cause = signal.timedOut
          ? `no response within ${formatSeconds(budgetMs)} s`
          : describeUpstreamError(error);
        fail(failure);
        strategy.onResult?.(backend.id, "failure", performance.now() - sentAt);
        if (failure === "connect") ctx.health.markUnreachable(backend, cause);
        const kind = failure === "timeout" || failure === "connect" ? failure : "error";
        return { kind: "failed", failure: { kind, backend: backend.id, cause } };
      }
      if (key === undefined || !pool) break;
      pool.report(key, response.statusCode, response.headers);
      const status = response.statusCode;
      if (status !== 429 && status !== 401 && status !== 403) break;
      if (triedKeys.size >= pool.size) {
        if (status === 429) break;
        // The client's own credentials were fine: every refused key is the operator's problem, a 502.
        await response.body.dump();
        return {
          kind: "failed",
          failure: { kind: "keys", backend: backend.id, cause: `every API key was refused (${status})` },
        };
      }
      ctx.metrics.keyRotations.inc(1, backend.id, statusText(status));
      await response.body.dump();
    }
    const ttfbMs = performance.now() - sentAt;
    ctx.metrics.upstreamTtfb.observe(ttfbMs / 1000, backend.id);
    const status = response.statusCode;
    if (isRetryableStatus(status)) {
      const detail = await errorSnippet(response.body);
      // A 429 is the backend's capacity, not its failure: retry elsewhere but leave its circuit alone.
      if (status === 429) verdict = "success";
      else fail(status === 408 ? "status_408" : "status_5xx");
      strategy.onResult?.(backend.id, verdict === "failure" ? "failure" : "success", ttfbMs);
      const retryAfterMs = isRefusal(status) ? retryAfterOf(response.headers) : undefined;
      // A pooled backend's keys cool down in the pool; only a backend without one is passed by.
      if (retryAfterMs !== undefined && isRefusal(status) && !pool) retryLater(backend, status, retryAfterMs);
      const cause = `HTTP ${status}${detail ? ` ${detail}` : ""}`;
      return {
        kind: "failed",
        failure: { kind: "status", backend: backend.id, status, retryAfterMs, cause },
      };
    }
    signal.disarm();
    verdict = "success";
    strategy.onResult?.(backend.id, "success", ttfbMs);
    ctx.health.markReachable(backend);
    const extraHeaders: Record<string, string> = {
      "x-request-id": request.id,
      "x-routed-node": backend.id,
      "x-selected-model": model,
    };
    if (attempt.debugHeader) extraHeaders["x-switchyard-route"] = attempt.debugHeader;
    if (translator && response.statusCode >= 400) {
      // The backend refused the request: its error goes back in the client's protocol.
      const text = await response.body.text();
      sendJson(
        reply,
        response.statusCode,
        translator.error(response.statusCode, parseOrText(text)),
        request.id,
        extraHeaders,
      );
      ctx.metrics.requests.inc(1, proxied.endpoint.name, model, backend.id, statusText(response.statusCode));
      return { kind: "relayed" };
    }
    reply.hijack();
    const transform = transformFor(proxied, backend, translator);
    const contentType = String(response.headers["content-type"] ?? "");
    const outcome =
      attempt.continueStream && !translator && !transform && contentType.startsWith("text/event-stream")
        ? await relayResumable({
            raw: reply.raw,
            response,
            headers: extraHeaders,
            continueStream: attempt.continueStream,
            onBroken: (error) => {
              fail("body");
              logBrokenAnswer(ctx.logger, request.id, backend.id, error);
            },
          })
        : await relay({
            raw: reply.raw,
            response,
            headers: extraHeaders,
            protocol: proxied.endpoint.protocol,
            transform,
            // The `_routing` object belongs to OpenAI-shaped answers only.
            routing: proxied.endpoint.routingJson ? backend.routingJson : undefined,
            onUsage: (usage) => {
              ctx.metrics.tokens.inc(usage.prompt, model, backend.id, "prompt");
              ctx.metrics.tokens.inc(usage.completion, model, backend.id, "completion");
              noteUsage(request, usage);
              if (attempt.client) recordTokens(ctx.state, attempt.client, usage.prompt + usage.completion);
            },
            onBroken: (error) => {
              fail(classifyUpstreamError(error) === "body" ? "body_timeout" : "body");
              logBrokenAnswer(ctx.logger, request.id, backend.id, error);
            },
          });
    ctx.metrics.requests.inc(1, proxied.endpoint.name, model, backend.id, statusText(response.statusCode));
    ctx.metrics.requestDuration.observe(reply.elapsedTime / 1000, proxied.endpoint.name, model);
    if (outcome === "client_gone" && verdict === "success") verdict = undefined;
    return { kind: "relayed" };
  } finally {
    signal.dispose();
    backend.inflight--;
    if (verdict === "success") backend.circuit.onSuccess();
    else if (verdict === "failure") backend.circuit.onFailure();
    else backend.circuit.onAbandon();
    if (ctx.sharedState) {
      clearInterval(renewal);
      if (lease) void lease.release();
      shareVerdict(ctx, backend.id, verdict);
    }
    ctx.capacityQueue.released(backend);
  }
}

/** Tells the shared store a verdict, without waiting: other replicas mirror the circuit it yields. */
function shareVerdict(
  ctx: GatewayContext,
  backendId: string,
  verdict: "success" | "failure" | undefined,
): void {
  if (verdict === "success") void ctx.state.recordSuccess(backendId);
  else if (verdict === "failure") {
    const { circuit_breaker_threshold: threshold, circuit_breaker_ttl: ttl } = ctx.config;
    void ctx.state.recordFailure(backendId, threshold, ttl * 1000);
  }
}

/**
 * Starts the continuation of a broken OpenAI chat stream on `backend`: the original request with the
 * text so far as an assistant prefill. Undefined when the backend cannot take it; the lease taken
 * here is released by the continuation's `release`, exactly once.
 */
export async function startContinuation(
  ctx: GatewayContext,
  request: FastifyRequest,
  backend: BackendState,
  proxied: ProxyRequest,
  model: string,
  prefill: string,
  signal: ClientGone,
  client?: Client,
): Promise<Continuation | undefined> {
  backend.inflight++;
  backend.requests++;
  backend.circuit.onAttempt();
  let released = false;
  const release = (outcome: "success" | "failure" | "abandoned") => {
    if (released) return;
    released = true;
    backend.inflight--;
    if (outcome === "success") backend.circuit.onSuccess();
    else if (outcome === "failure") {
      backend.failures++;
      backend.circuit.onFailure();
    } else backend.circuit.onAbandon();
    if (ctx.sharedState) shareVerdict(ctx, backend.id, outcome === "abandoned" ? undefined : outcome);
    ctx.capacityQueue.released(backend);
  };
  const messages = Array.isArray(proxied.parsedBody.messages) ? proxied.parsedBody.messages : [];
  const body = JSON.stringify({
    ...proxied.parsedBody,
    model: backend.upstreamModel(model),
    messages: [...messages, { role: "assistant", content: prefill }],
    continue_final_message: true,
    add_generation_prompt: false,
  });
  let headers = upstreamRequestHeaders(request.headers, request.id);
  if (client) headers = withoutCredentials(headers);
  const key = backend.keyPool?.next();
  if (key !== undefined) headers = withKey(headers, backend.kind, key);
  try {
    const response = await ctx.pools.for(backend.origin).request({
      method: "POST",
      path: backend.pathFor(proxied.endpoint.path),
      headers,
      body,
      signal,
      headersTimeout: undiciTimeout(continuationBudgetMs(ctx.config)),
      bodyTimeout: undiciTimeout(ctx.config.request_timeout * 1000),
    });
    if (key !== undefined) backend.keyPool?.report(key, response.statusCode, response.headers);
    if (
      response.statusCode !== 200 ||
      !String(response.headers["content-type"] ?? "").startsWith("text/event-stream")
    ) {
      await response.body.dump();
      release(response.statusCode >= 500 ? "failure" : "abandoned");
      return undefined;
    }
    ctx.metrics.streamResumes.inc(1, backend.id);
    return { response, backendId: backend.id, release };
  } catch (error) {
    const failure = classifyUpstreamError(error);
    release(failure === "aborted" || signal.aborted ? "abandoned" : "failure");
    if (failure === "connect") ctx.health.markUnreachable(backend, describeUpstreamError(error));
    return undefined;
  }
}

/**
 * What rewrites a successful answer: reasoning separation (asked for, or configured on the backend)
 * and protocol translation, in that order. Undefined: the bytes pass through untouched.
 */
function transformFor(
  proxied: ProxyRequest,
  backend: BackendState,
  translator: Translator | undefined,
): ResponseTransform | undefined {
  const separation = separationOptions(proxied, backend);
  if (!translator) return separation ? reasoningTransform(separation) : undefined;
  if (!separation || backend.kind !== "openai") {
    return { json: (body) => translator.response(body), stream: () => translator.stream() };
  }
  return {
    json: (body) => translator.response(separateChatCompletion(body as never, separation)),
    stream: () => separateThenTranslate(new ReasoningStreamConverter(separation), translator.stream()),
  };
}

function separationOptions(
  proxied: ProxyRequest,
  backend: BackendState,
): ResponseSeparationOptions | undefined {
  if (!proxied.endpoint.reasoning) return undefined;
  if (backend.kind !== "openai") return undefined;
  const asked = proxied.reasoning?.separate === true;
  if (!asked && !backend.separateReasoning) return undefined;
  const request = proxied.reasoning?.request;
  return {
    modelType: backend.modelType,
    separateThinking: request?.separateThinking ?? false,
    ...(request ? { includeChannels: request.includeChannels } : {}),
    ...(request?.effort ? { reasoningLevel: request.effort } : {}),
  };
}

/** The request's headers without the client's credentials (a gateway key stays at the gateway). */
function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  delete out.authorization;
  delete out["x-api-key"];
  return out;
}

/** The request's headers with the pool's key in the backend's own spelling, the client's removed. */
function withKey(
  headers: Record<string, string>,
  kind: BackendState["kind"],
  key: string,
): Record<string, string> {
  const out = { ...headers };
  delete out.authorization;
  delete out["x-api-key"];
  if (kind === "anthropic") {
    out["x-api-key"] = key;
    out["anthropic-version"] ??= ANTHROPIC_VERSION;
  } else {
    out.authorization = `Bearer ${key}`;
  }
  return out;
}

function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  requestId: string,
  extra: Record<string, string> = {},
): void {
  reply.hijack();
  writeJsonResponse(
    reply.raw,
    status,
    clientResponseHeaders({ "content-type": "application/json" }, { ...extra, "x-request-id": requestId }),
    body,
  );
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const STATUS_TEXT = new Map<number, string>();
/** Status codes as label values, without a new string per request. */
function statusText(status: number): string {
  let text = STATUS_TEXT.get(status);
  if (text === undefined) {
    text = String(status);
    STATUS_TEXT.set(status, text);
  }
  return text;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** The start of an upstream error body, for the 502 message; never more than 200 characters. */
async function errorSnippet(body: Dispatcher.ResponseData["body"]): Promise<string> {
  try {
    const text = (await body.text()).trim();
    if (!text) return "";
    try {
      const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
      if (typeof message === "string") return `(${message.slice(0, 200)})`;
    } catch {
      // Not JSON: quote the text itself.
    }
    return `(${text.slice(0, 200)})`;
  } catch {
    return "";
  }
}
