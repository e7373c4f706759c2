/**
 * One upstream attempt on one backend, from taking its slot to giving it back: first attempts,
 * retries and stream continuations all go through here, so there is one place where a lease is
 * taken and one where it is released.
 *
 * Lifecycle: `take()` (the slot: the local count, and with replication a capped backend's lease in
 * the store), then `send()` (the upstream call, written once: key-pool rotation, the attempt's
 * budget, the client leaving), then `respond()` (the relay, the one place the response side meets
 * the attempt), and `settle(verdict)` exactly once. `send` settles a failed call itself and
 * `respond` settles when the answer ends, so a caller settles only what it ends on its own (an
 * answer it writes itself, an answer it does not want). A second `settle` is a no-op; `send` or
 * `respond` after it is a programming error and throws, as undici's decorator handler asserts that
 * nothing follows the end of a request.
 * @module
 */
// From perf_hooks, not the global: `globalThis.performance` is a getter, a call on every use.
import { performance } from "node:perf_hooks";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ANTHROPIC_VERSION } from "../protocol/translate/openai-to-anthropic.js";
import type { BackendState } from "../routing/backend.js";
import type { Verdict } from "../state/replication/replication.js";
import type { Lease } from "../state/store.js";
import type { AttemptTrace } from "../telemetry/telemetry.js";
import type { ClientGone } from "../upstream/client-gone.js";
import {
  type AnswerHead,
  discardBody,
  dispatchCall,
  type UpstreamAnswer,
} from "../upstream/dispatch-call.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import type { KeyPool } from "../upstream/key-pool.js";
import { BodyTooLargeError } from "../upstream/read-bounded.js";
import { noteAttempt, noteSent } from "./access-log.js";
import type { GatewayContext } from "./context.js";
import { AttemptSignal, type StallWatcher, undiciTimeout } from "./deadline.js";
import { logBrokenAnswer } from "./failure-log.js";
import type { RelayOutcome } from "./relay.js";
import { type RespondOptions, respond } from "./respond.js";
import { retryLater } from "./retry-later.js";
import { type AttemptFailure, isRefusal, isRetryableStatus, retryAfterOf } from "./retry-policy.js";
import { anySlo } from "./slo-goodput.js";
import { statusLabel } from "./status-label.js";

/** What `upstream_failures_total` counts a failure as. */
export type FailureReason =
  | "connect"
  | "timeout"
  | "other"
  | "body"
  | "body_timeout"
  | "body_too_large"
  | "status_408"
  | "status_5xx";

export interface UpstreamCall {
  /** The path in the backend's protocol, before the backend's own base path. */
  path: string;
  /** The request's headers, the client's credentials already handled (forwardHeaders). */
  headers: Record<string, string>;
  body: Buffer | string;
  /** Longest wait for the answer to start, in milliseconds; Infinity: no limit. */
  budgetMs: number;
  /**
   * A wait this long for the answer to start is a stall for outlier detection even though the
   * attempt goes on (RequestDeadline.stallMs); absent or Infinity: only the budget running out is.
   */
  stallMs?: number;
  /**
   * Says which answers are read whole before they count as answered (a JSON body: respond.ts),
   * bounded by `max_upstream_body_bytes`: one that is too large, or breaks while read, is a failure
   * of the backend that another backend may retry, since nothing reached the client yet.
   */
  collects?: ((response: AnswerHead) => boolean) | undefined;
}

export type Sent =
  /** The backend answered with a status that is its answer (2xx, or a 4xx that is the client's). */
  | {
      kind: "answered";
      response: UpstreamAnswer;
      /** The whole body, when the call `collects` this answer. */
      body?: Buffer | undefined;
    }
  /** The client left while the call was under way: no verdict. */
  | { kind: "aborted" }
  /** Nothing reached the client; another backend may take the request (retry-policy.ts). */
  | { kind: "failed"; failure: AttemptFailure };

/** How the answer reaches the client; `respond.ts` does the writing. */
/** What the response path needs besides the reply and the upstream response (respond.ts). */
export type Answer = Omit<RespondOptions, "raw" | "response" | "onBroken">;

type Phase = "new" | "held" | "settled";

export class UpstreamAttempt implements StallWatcher {
  readonly backend: BackendState;
  readonly #ctx: GatewayContext;
  readonly #request: FastifyRequest;
  readonly #model: string;
  readonly #clientGone: ClientGone;
  #phase: Phase = "new";
  #lease: Lease | undefined;
  #renewal: NodeJS.Timeout | undefined;
  #signal: AttemptSignal | undefined;
  #failureCounted = false;
  /** When the upstream call went out (performance.now()). */
  #sentAt = 0;
  /** The attempt's span, when the request is traced (request-trace.ts). */
  #trace: AttemptTrace | undefined;

  constructor(
    ctx: GatewayContext,
    request: FastifyRequest,
    backend: BackendState,
    model: string,
    clientGone: ClientGone,
  ) {
    this.#ctx = ctx;
    this.#request = request;
    this.backend = backend;
    this.#model = model;
    this.#clientGone = clientGone;
  }

  get settled(): boolean {
    return this.#phase === "settled";
  }

  /**
   * Takes the backend's slot. With replication a capped backend's cap holds across replicas: one
   * atomic acquire in the store, the only round trip a request waits on, hence the promise. Otherwise
   * nothing is awaited (`true` at once): the local count, checked when the backend was selected,
   * decides. False: the global cap is reached; nothing was taken and the attempt is over.
   */
  take(): true | Promise<boolean> {
    if (this.#phase !== "new") throw new Error(`take() on a ${this.#phase} attempt`);
    const { backend } = this;
    const ttlMs = this.#ctx.config.lease_ttl * 1000;
    const acquired = this.#ctx.replication.acquire(backend.id, backend.maxConnections, ttlMs);
    if (acquired !== true) return this.#acquired(acquired, ttlMs);
    this.#hold();
    return true;
  }

  async #acquired(acquiring: Promise<Lease | undefined>, ttlMs: number): Promise<boolean> {
    const lease = await acquiring;
    if (!lease) {
      this.#phase = "settled";
      return false;
    }
    this.#lease = lease;
    this.#renewal = setInterval(() => void lease.renew(ttlMs), ttlMs / 2);
    this.#renewal.unref();
    this.#hold();
    return true;
  }

  #hold(): void {
    const { backend } = this;
    this.#phase = "held";
    noteAttempt(this.#request, backend.id, this.#model);
    this.#trace = this.#request.trace?.startAttempt({
      backend: backend.id,
      kind: backend.kind,
      origin: backend.origin,
      model: this.#model,
      strategy: this.#ctx.strategies.for(this.#model).name,
    });
    backend.inflight++;
    backend.requests++;
    // Only SLO admission reads it (slo-goodput.ts): without a target no attempt pays for the clock.
    if (anySlo(this.#ctx.config)) noteSent(this.#request, backend.inflight - 1 + backend.queueDepth);
    backend.circuit.onAttempt();
  }

  /**
   * The upstream call. A pooled key that is rate limited or refused is swapped for the next one, on
   * this backend, before anything reaches the client. Key rotation, connecting and waiting for
   * headers all count against `budgetMs`. Settles the attempt unless the backend answered.
   */
  async send(call: UpstreamCall): Promise<Sent> {
    this.#assertHeld("send");
    const { backend } = this;
    const signal = new AttemptSignal(this.#clientGone, call.budgetMs, call.stallMs, this);
    this.#signal = signal;
    const headersTimeout = undiciTimeout(call.budgetMs);
    // A started body may fall silent between chunks this long (a stream is not cut by the deadline).
    const bodyTimeout = undiciTimeout(this.#ctx.config.request_timeout * 1000);
    const sentAt = performance.now();
    this.#sentAt = sentAt;
    const pool = backend.keyPool;
    // Only a pooled backend rotates keys: the common case allocates no set.
    const triedKeys = pool ? new Set<string>() : undefined;
    let headers = call.headers;
    const traceparent = this.#trace?.traceparent;
    if (traceparent) headers = { ...headers, traceparent };
    for (;;) {
      const key = pool?.next(triedKeys);
      if (pool && key === undefined) return this.#keysExhausted(pool);
      if (key !== undefined) {
        triedKeys?.add(key);
        headers = withKey(headers, backend.kind, key);
      }
      let response: UpstreamAnswer;
      try {
        response = await dispatchCall(
          this.#ctx.pools.for(backend.origin),
          {
            method: "POST",
            path: backend.pathFor(call.path),
            headers,
            body: call.body,
            signal,
            headersTimeout,
            bodyTimeout,
          },
          (head) => this.#bodyChoice(head, call.collects, key !== undefined),
        );
      } catch (error) {
        return this.#thrown(error, signal, call.budgetMs, sentAt);
      }
      if (key === undefined || !pool) return this.#answered(response, signal, sentAt);
      pool.report(key, response.statusCode, response.headers);
      const status = response.statusCode;
      if (status !== 429 && status !== 401 && status !== 403) return this.#answered(response, signal, sentAt);
      if ((triedKeys?.size ?? 0) >= pool.size) {
        if (status === 429) return this.#answered(response, signal, sentAt);
        // The client's own credentials were fine: every refused key is the operator's problem, a 502.
        await discardBody(response);
        return this.#failedWithoutVerdict({
          kind: "keys",
          backend: backend.id,
          cause: `every API key was refused (${status})`,
        });
      }
      this.#ctx.metrics.keyRotations.inc(1, backend.id, statusLabel(status));
      await discardBody(response);
    }
  }

  /**
   * Which bodies are read whole, in the call's handler (dispatch-call.ts), and within what: a refusal
   * (its message, or a pooled key's refusal, dropped) and an answer the call `collects`; any other
   * streams on to the client.
   */
  #bodyChoice(head: AnswerHead, collects: UpstreamCall["collects"], pooledKey: boolean): number | undefined {
    const status = head.statusCode;
    if (isRetryableStatus(status)) return ERROR_BODY_LIMIT;
    if (pooledKey && (status === 401 || status === 403)) return ERROR_BODY_LIMIT;
    return collects?.(head) ? this.#ctx.config.max_upstream_body_bytes : undefined;
  }

  #keysExhausted(pool: KeyPool): Sent {
    const wait = pool.retryAfterMs();
    const backend = this.backend.id;
    return this.#failedWithoutVerdict(
      wait === undefined
        ? { kind: "keys", backend, cause: "every API key was refused (401/403)" }
        : {
            kind: "status",
            backend,
            status: 429,
            retryAfterMs: wait,
            cause: `every API key is rate limited for ${Math.ceil(wait / 1000)} s`,
          },
    );
  }

  /** Nothing was sent that says anything about the backend itself. */
  #failedWithoutVerdict(failure: AttemptFailure): Sent {
    this.settle("abandoned");
    return { kind: "failed", failure };
  }

  #thrown(error: unknown, signal: AttemptSignal, budgetMs: number, sentAt: number): Sent {
    const failure = signal.timedOut ? "timeout" : classifyUpstreamError(error);
    if (failure === "aborted" || this.#clientGone.aborted) {
      this.settle("abandoned");
      return { kind: "aborted" };
    }
    const { backend } = this;
    const cause = signal.timedOut
      ? `no response within ${formatSeconds(budgetMs)} s`
      : describeUpstreamError(error);
    this.fail(failure);
    const now = performance.now();
    this.#ctx.strategies.for(this.#model).onResult?.(backend.id, "failure", now - sentAt);
    if (failure === "connect") this.#ctx.health.markUnreachable(backend, cause);
    if (signal.timedOut) this.#stalled(sentAt, now);
    this.settle("failure");
    const kind = failure === "timeout" || failure === "connect" ? failure : "error";
    return { kind: "failed", failure: { kind, backend: backend.id, cause } };
  }

  /** The call goes on waiting for its answer past `stallMs` (AttemptSignal). */
  onStall(): void {
    if (this.#phase === "held") this.#stalled(this.#sentAt, performance.now());
  }

  /** No headers within the budget or `stallMs`: an outlier while its peers answer (routing/outlier.ts). */
  #stalled(sentAt: number, now: number): void {
    const { backend } = this;
    if (!backend.outlier.onStall(sentAt, now, this.#ctx.registry.serving(this.#model))) return;
    this.#ctx.metrics.ejections.inc(1, backend.id);
    this.#ctx.logger.warn(
      { backend: backend.id, ejectedForMs: Math.round(backend.outlier.ejectedForMs(now)) },
      "backend ejected: its requests stall while its peers answer",
    );
  }

  /** An answer that is the client's (no await: the hot path), or a refusal to read and retry on. */
  #answered(response: UpstreamAnswer, signal: AttemptSignal, sentAt: number): Sent | Promise<Sent> {
    const { backend } = this;
    const now = performance.now();
    // Any status is the backend answering: whatever stalled before, its inference path is alive.
    backend.outlier.onAnswer(now);
    const ttfbMs = now - sentAt;
    this.#ctx.metrics.upstreamTtfb.observe(ttfbMs / 1000, backend.id);
    const status = response.statusCode;
    this.#trace?.answered(status, ttfbMs);
    if (isRetryableStatus(status)) return this.#refused(response, ttfbMs);
    signal.disarm();
    if (response.collected) return this.#collected(response, ttfbMs);
    this.#succeeded(ttfbMs);
    return { kind: "answered", response };
  }

  #succeeded(ttfbMs: number): void {
    this.#ctx.strategies.for(this.#model).onResult?.(this.backend.id, "success", ttfbMs);
    this.#ctx.health.markReachable(this.backend);
  }

  /** Reads the answer whole, bounded; a body too large or broken fails the attempt (retryable). */
  async #collected(response: UpstreamAnswer, ttfbMs: number): Promise<Sent> {
    let body: Buffer;
    try {
      // Collected in the call's handler, bounded by max_upstream_body_bytes (#bodyChoice).
      body = await response.collected!;
    } catch (error) {
      if (this.#clientGone.aborted) {
        this.settle("abandoned");
        return { kind: "aborted" };
      }
      const tooLarge = error instanceof BodyTooLargeError;
      this.fail(
        tooLarge ? "body_too_large" : classifyUpstreamError(error) === "body" ? "body_timeout" : "body",
      );
      this.#ctx.strategies.for(this.#model).onResult?.(this.backend.id, "failure", ttfbMs);
      this.settle("failure");
      const cause = tooLarge ? error.message : `the answer broke: ${describeUpstreamError(error)}`;
      return { kind: "failed", failure: { kind: "error", backend: this.backend.id, cause } };
    }
    this.#succeeded(ttfbMs);
    return { kind: "answered", response, body };
  }

  async #refused(response: UpstreamAnswer, ttfbMs: number): Promise<Sent> {
    const { backend } = this;
    const strategy = this.#ctx.strategies.for(this.#model);
    const status = response.statusCode;
    const detail = await errorSnippet(response);
    // A 429 is the backend's capacity, not its failure: retry elsewhere but leave its circuit alone.
    const verdict = status === 429 ? "success" : "failure";
    if (verdict === "failure") this.fail(status === 408 ? "status_408" : "status_5xx");
    strategy.onResult?.(backend.id, verdict, ttfbMs);
    const retryAfterMs = isRefusal(status) ? retryAfterOf(response.headers) : undefined;
    // A pooled backend's keys cool down in the pool; only a backend without one is passed by.
    if (retryAfterMs !== undefined && isRefusal(status) && !backend.keyPool) {
      retryLater(backend, status, retryAfterMs);
    }
    this.settle(verdict);
    const cause = `HTTP ${status}${detail ? ` ${detail}` : ""}`;
    return { kind: "failed", failure: { kind: "status", backend: backend.id, status, retryAfterMs, cause } };
  }

  /**
   * Writes the backend's answer to the client (respond.ts: bytes, JSON or the SSE pump; with
   * `continueStream`, an event stream that may continue elsewhere) and settles when it ends. A break settles at once, as a failure,
   * so a continuation never waits on the broken backend's slot. `answer` is taken over: made for
   * this call, it is completed in place (the reply, the response, the break handler), not copied.
   */
  async respond(reply: FastifyReply, response: UpstreamAnswer, answer: Answer): Promise<RelayOutcome> {
    this.#assertHeld("respond");
    reply.hijack();
    const onBroken = (error: Error) => {
      this.fail(classifyUpstreamError(error) === "body" ? "body_timeout" : "body");
      logBrokenAnswer(this.#ctx.logger, this.#request.id, this.backend.id, error);
      this.settle("failure");
    };
    const options = answer as RespondOptions;
    options.raw = reply.raw;
    options.response = response;
    options.onBroken = onBroken;
    options.maxStreamBytes = this.#ctx.config.max_upstream_body_bytes;
    const outcome = await respond(options);
    this.settle(outcome === "complete" ? "success" : outcome === "client_gone" ? "abandoned" : "failure");
    return outcome;
  }

  /** Counts this attempt as a failure of its backend, once, whatever else reports it. */
  fail(reason: FailureReason): void {
    if (this.#failureCounted || this.#phase === "settled") return;
    this.#failureCounted = true;
    this.backend.failures++;
    this.#ctx.metrics.upstreamFailures.inc(1, this.backend.id, reason);
  }

  /**
   * Ends the attempt: the slot is given back (local count, store lease, its renewal), the circuit
   * and the store hear the verdict, and a request waiting for capacity is woken. Runs once.
   */
  settle(verdict: Verdict): void {
    if (this.#phase !== "held") {
      this.#phase = "settled";
      return;
    }
    if (verdict === "failure") this.fail("body");
    this.#phase = "settled";
    const { backend } = this;
    this.#signal?.dispose();
    backend.inflight--;
    if (verdict === "success") backend.circuit.onSuccess();
    else if (verdict === "failure") backend.circuit.onFailure();
    else backend.circuit.onAbandon();
    clearInterval(this.#renewal);
    if (this.#lease) void this.#lease.release();
    const { circuit_breaker_threshold: threshold, circuit_breaker_ttl: ttl } = this.#ctx.config;
    this.#ctx.replication.shareVerdict(backend.id, verdict, threshold, ttl * 1000);
    this.#ctx.capacityQueue.released(backend);
    this.#trace?.end(verdict);
  }

  #assertHeld(step: string): void {
    if (this.#phase !== "held") throw new Error(`${step}() on a ${this.#phase} upstream attempt`);
  }
}

/** The request's headers without the client's credentials (a gateway key stays at the gateway). */
export function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  // Copied without them rather than deleted from a copy: a delete makes the object a dictionary.
  const out: Record<string, string> = {};
  for (const name in headers)
    if (name !== "authorization" && name !== "x-api-key") out[name] = headers[name]!;
  return out;
}

/** The request's headers with the pool's key in the backend's own spelling, the client's removed. */
export function withKey(
  headers: Record<string, string>,
  kind: BackendState["kind"],
  key: string,
): Record<string, string> {
  const out = withoutCredentials(headers);
  if (kind === "anthropic") {
    out["x-api-key"] = key;
    out["anthropic-version"] ??= ANTHROPIC_VERSION;
  } else {
    out.authorization = `Bearer ${key}`;
  }
  return out;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** Most of a refusal's body read for its message: an error is a few hundred bytes, not megabytes. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** The start of an upstream error body, for the 502 message; never more than 200 characters. */
async function errorSnippet(response: UpstreamAnswer): Promise<string> {
  try {
    // Collected in the call's handler within ERROR_BODY_LIMIT (#bodyChoice).
    const collected = response.collected;
    if (!collected) return "";
    const text = (await collected).toString().trim();
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
