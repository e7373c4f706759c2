/**
 * One proxied request: resolve the model's backends, let the strategy pick, forward, and retry on
 * another backend while nothing has reached the client yet. When every healthy backend is at its
 * cap, the request waits in a bounded queue for a slot (429 with Retry-After when it cannot). With
 * a TTFT target for the model, the first attempt also waits while every available backend is
 * expected to miss it, and is shed (429 slo_shed) when none comes within it in time.
 *
 * Invariants: every lease taken (inflight + 1) is released exactly once, in `finally`; a retry
 * happens only before the first byte is written to the client, and only within the request's
 * deadline (deadline.ts); after that, a failure ends an SSE stream with an error event (other bodies
 * are cut) and is counted against the backend.
 * @module
 */
// From perf_hooks, not the global: `globalThis.performance` is a getter, a call on every use.
import { performance } from "node:perf_hooks";
import type { FastifyReply, FastifyRequest } from "fastify";
import { lazyPromptBlocks } from "../protocol/prompt-blocks.js";
import type { BackendState } from "../routing/backend.js";
import { type SloTarget, type SloWait, sloTargetFor } from "../routing/slo-admission.js";
import type { RoutingRequest } from "../routing/strategies/strategy.js";
import { ClientGone } from "../upstream/client-gone.js";
import { noteModel, noteSession } from "./access-log.js";
import { type Attempt, type AttemptResult, attemptOnce, startContinuation } from "./attempt.js";
import type { GatewayContext } from "./context.js";
import { RequestDeadline } from "./deadline.js";
import { GatewayError } from "./errors.js";
import { logAttemptFailure } from "./failure-log.js";
import { hedgeAfterSeconds } from "./hedge-delay.js";
import { runWithHedge } from "./hedge-run.js";
import { enterKvGate } from "./kv-admission-step.js";
import { enterAttemptGate, releasingKv } from "./kv-attempt-gate.js";
import type { ProxyRequest } from "./proxy-request.js";
import { countAnswer } from "./request-metrics.js";
import { waitingFor } from "./retry-later.js";
import {
  type AttemptFailure,
  describeFailure,
  isRetryable,
  refusalOf,
  retryAfterSeconds,
} from "./retry-policy.js";
import type { ContinueStream } from "./stream-resume.js";

interface Selection {
  /** Healthy, circuit closed, not yet tried, under cap. */
  available: readonly BackendState[];
  /** Healthy and circuit closed but at their cap. */
  full: readonly BackendState[];
  excluded: readonly string[];
}

export async function proxy(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proxied: ProxyRequest,
): Promise<void> {
  // With gateway keys configured, the client was authenticated and admitted (client-auth.ts).
  const client = request.gatewayClient ?? undefined;
  const resolved = ctx.models.resolve(proxied.fields.model);
  if (!resolved) throw new GatewayError("SWY_ERR_NO_HEALTHY_BACKEND", "No backend lists any model yet.");
  const { model } = resolved;
  let serving = ctx.registry.serving(model);
  if (serving.length === 0) {
    throw new GatewayError(
      "SWY_ERR_MODEL_NOT_FOUND",
      `The model '${model}' does not exist or no backend serves it.`,
      {
        param: "model",
      },
    );
  }
  noteModel(request, model);
  noteSession(request, proxied.sessionKey);
  if (!proxied.endpoint.anthropicBackends) {
    serving = serving.filter((backend) => backend.kind === "openai");
    if (serving.length === 0) {
      throw new GatewayError(
        "SWY_ERR_INVALID_REQUEST",
        `The model '${model}' is served only by Anthropic backends, which have no ${proxied.endpoint.path}.`,
        { param: "model" },
      );
    }
  }
  if (proxied.forcedNode !== undefined) {
    const node = proxied.forcedNode;
    serving = serving.filter((backend) => backend.id === node || new URL(backend.url).host === node);
    if (serving.length === 0) {
      throw new GatewayError("SWY_ERR_NODE_NOT_FOUND", `No backend '${node}' serves the model '${model}'.`, {
        param: "node",
      });
    }
  }
  const body = resolved.rewritten
    ? Buffer.from(JSON.stringify({ ...proxied.parsedBody, model }))
    : proxied.rawBody;

  const clientGone = new ClientGone();
  // `on`, not `once`: a response closes once, and `once` wraps the listener anew on every request.
  reply.raw.on("close", () => {
    if (reply.raw.writableFinished) return;
    clientGone.abort();
    // fastify's onResponse runs only for answers that finish: an answer the client left is counted here.
    if (reply.raw.headersSent) countAnswer(ctx, request, reply);
  });
  const strategy = ctx.strategies.for(model);
  const prompt = proxied.fields.prompt;
  const routing: RoutingRequest = {
    model,
    sessionKey: proxied.sessionKey,
    promptPrefix: proxied.fields.promptPrefix,
    // Hashed only if the strategy asks: the others pay nothing for it.
    promptBlocks: prompt === undefined ? undefined : lazyPromptBlocks(prompt, model),
  };
  const tried = new Set<string>();
  const failures: AttemptFailure[] = [];
  const deadline = RequestDeadline.start(ctx.config, proxied.fields.stream);
  // A wait for capacity ends at queue_timeout (429), or earlier at the request's deadline (504).
  const queueTimeoutAt = deadline.startedAt + ctx.config.queue_timeout * 1000;
  const queueDeadline = Math.min(queueTimeoutAt, deadline.at);
  let lastSelection: Selection | undefined;
  let queuedMs = 0;
  let lastTimedOut = false;
  /** A retry was due, but the deadline left too little time to start one. */
  let outOfTime = false;
  let overheadObserved = false;
  /** The model's TTFT target: SLO admission holds the first attempt back while every backend would miss it. */
  const sloTarget = sloTargetFor(ctx.config, model);
  let sloWait: SloWait | undefined;
  /** Backends whose global cap (shared state) refused this request; only ever set with Redis. */
  let globallyFull: Set<string> | undefined;
  const resumable = proxied.resume === true && proxied.fields.stream && proxied.endpoint.resumes;
  /** Gives back the KV room of the attempt now running (idempotent); a continuation replaces it. */
  let releaseAttemptKv = () => {};
  const continueStream: ContinueStream | undefined = !resumable
    ? undefined
    : async (prefill) => {
        // The broken backend no longer serves this request: its room goes before any is asked elsewhere.
        releaseAttemptKv();
        for (;;) {
          const { available } = select(serving, tried);
          if (available.length === 0) return undefined;
          const next = (strategy.pick(available, routing) ?? available[0])!;
          tried.add(next.id);
          if (next.circuit.state !== "closed" && !(await ctx.replication.claimProbe(next.id, next.circuit)))
            continue;
          const kvRelease = await enterAttemptGate(
            ctx,
            next,
            { id: request.id, body: proxied.parsedBody },
            routing,
            Math.min(ctx.config.queue_timeout * 1000, deadline.at - performance.now()),
            clientGone,
          );
          if (kvRelease === undefined) {
            next.circuit.onAbandon();
            if (clientGone.aborted) return undefined;
            continue;
          }
          const continuation = await startContinuation(
            ctx,
            request,
            next,
            proxied,
            model,
            prefill,
            clientGone,
            client,
          );
          if (continuation === "full" || continuation === undefined) kvRelease();
          if (continuation === "full") {
            // Another replica holds the backend's last slot: a probe reserved here is given back.
            next.circuit.onAbandon();
            continue;
          }
          if (continuation) return releasingKv(continuation, kvRelease);
          if (clientGone.aborted) return undefined;
        }
      };
  /** Non-streamed requests may be hedged once (hedge-run.ts); a stream has first_byte_timeout. */
  const hedgeable = !proxied.fields.stream && hedgeAfterSeconds(ctx.config, model) > 0;
  let hedgeDue = false;
  /** The backend's global cap (shared state) refused the attempt: nothing was sent. */
  const noteFull = (backend: BackendState) => {
    // A probe reserved for this request is given back.
    backend.circuit.onAbandon();
    tried.delete(backend.id);
    globallyFull ??= new Set();
    globallyFull.add(backend.id);
  };
  const noteFailure = (backend: BackendState, failure: AttemptFailure) => {
    failures.push(failure);
    request.routeTrail?.failed(failure.cause);
    const next = select(serving, tried, globallyFull);
    logAttemptFailure(ctx.logger, {
      reqId: request.id,
      backend: backend.id,
      attempt: failures.length,
      reason: failure.cause,
      retrying:
        failures.length <= ctx.config.max_retries &&
        next.available.length + next.full.length > 0 &&
        deadline.allowsRetry(),
    });
  };
  while (failures.length <= ctx.config.max_retries) {
    if (failures.length > 0 && !deadline.allowsRetry()) {
      outOfTime = true;
      break;
    }
    const selection = select(serving, tried, globallyFull);
    lastSelection = selection;
    if (selection.available.length === 0) {
      if (selection.full.length === 0) break;
      if (globallyFull !== undefined && globallyFull.size > 0) {
        // Slots held by other replicas free without a local wake-up: wait a short while (or for a
        // local release), then ask the store again.
        const remaining = queueDeadline - performance.now();
        if (remaining <= 0) throw waitTimedOut(ctx.config, model, failures, deadline.at <= queueTimeoutAt);
        const waitStart = performance.now();
        const outcome = await ctx.capacityQueue.wait(
          (backend) => serving.includes(backend),
          Math.min(remaining, GLOBAL_CAP_POLL_MS / 2 + Math.random() * GLOBAL_CAP_POLL_MS),
          clientGone,
        );
        queuedMs += performance.now() - waitStart;
        if (outcome === "aborted") return;
        if (outcome === "full") throw capacityError(model, ctx.config.queue_timeout, outcome);
        globallyFull.clear();
        continue;
      }
      const waitStart = performance.now();
      if (queueDeadline <= waitStart)
        throw waitTimedOut(ctx.config, model, failures, deadline.at <= queueTimeoutAt);
      const outcome = await ctx.capacityQueue.wait(
        (backend) => serving.includes(backend),
        queueDeadline - waitStart,
        clientGone,
      );
      queuedMs += performance.now() - waitStart;
      if (outcome === "aborted") return;
      if (outcome === "timeout")
        throw waitTimedOut(ctx.config, model, failures, deadline.at <= queueTimeoutAt);
      if (outcome !== "woken") throw capacityError(model, ctx.config.queue_timeout, outcome);
      continue;
    }
    // SLO admission: checked here, in the same turn as the pick and the slot, so waiters that one
    // release wakes do not all pass on the same load (routing/slo-admission.ts).
    if (failures.length === 0 && sloTarget && !ctx.slo.admitsNow(sloTarget, selection.available)) {
      sloWait ??= ctx.slo.startWait(sloTarget, deadline.at);
      const pauseStart = performance.now();
      const pause = await ctx.slo.pause(
        sloWait,
        () => select(serving, tried, globallyFull).available,
        (candidate) => serving.includes(candidate),
        clientGone,
      );
      queuedMs += performance.now() - pauseStart;
      if (pause.kind === "aborted") return;
      if (pause.kind === "shed") {
        ctx.metrics.sloShed.inc(1, model);
        throw sloShedError(model, sloTarget, pause.retryAfterSeconds);
      }
      continue;
    }
    const backend = (strategy.pick(selection.available, routing) ?? selection.available[0])!;
    tried.add(backend.id);
    // A half-open backend whose one probe is someone else's is passed by, like a tried one. The
    // check keeps the happy path (closed circuit) free of an await.
    if (
      backend.circuit.state !== "closed" &&
      !(await ctx.replication.claimProbe(backend.id, backend.circuit))
    )
      continue;
    // KV admission: wait for room in the picked engine's working set (kv-admission-step.ts).
    const kvWaitStart = performance.now();
    const kvEntry = enterKvGate(
      ctx,
      backend,
      { id: request.id, body: proxied.parsedBody },
      routing,
      queueDeadline - kvWaitStart,
      clientGone,
    );
    // Admitted at once (admission off, or no capacity set) costs no await.
    const kv = kvEntry instanceof Promise ? await kvEntry : kvEntry;
    if (kv.kind !== "admitted") {
      backend.circuit.onAbandon();
      queuedMs += performance.now() - kvWaitStart;
      if (kv.kind === "aborted") return;
      if (kv.kind === "timeout" && deadline.at <= queueTimeoutAt) throw timeoutError(ctx.config, failures);
      throw kvShedError(model, backend.id, ctx.config.kv_admission_hold);
    }
    queuedMs += performance.now() - kvWaitStart;
    releaseAttemptKv = kv.release;
    if (tried.size > 1) ctx.metrics.retries.inc(1, proxied.endpoint.name);
    ctx.metrics.routingDecisions.inc(1, strategy.name, tried.size > 1 ? "retry" : "picked");
    const debugHeader = proxied.debug
      ? describeRoute(strategy.name, selection, backend, failures)
      : undefined;
    request.routeTrail?.pick({
      strategy: strategy.name,
      picked: backend.id,
      candidates: selection.available.map((candidate) => candidate.id),
      excluded: selection.excluded,
    });
    if (!overheadObserved) {
      overheadObserved = true;
      ctx.metrics.gatewayOverhead.observe((reply.elapsedTime - queuedMs) / 1000, proxied.endpoint.name);
    }
    const attempt: Attempt = {
      client,
      proxied,
      model,
      body,
      backend,
      signal: clientGone,
      deadline,
      debugHeader,
      continueStream,
      race: undefined,
    };
    let result: AttemptResult;
    let attempted = backend;
    /** The hedge's KV room, when it took some (hedge-run.ts). */
    let hedgeKvRelease: (() => void) | undefined;
    // Released when the attempt settles: answered, failed or abandoned (a hedge is not held back).
    try {
      const hedgeDelay =
        hedgeable && !hedgeDue ? hedgeDelayMs(ctx, model, deadline) : Number.POSITIVE_INFINITY;
      if (Number.isFinite(hedgeDelay)) {
        const raced = await runWithHedge(backend, clientGone, {
          delayMs: hedgeDelay,
          pickHedge: async () => {
            const hedgeSelection = select(serving, tried, globallyFull);
            const hedge = strategy.pick(hedgeSelection.available, routing) ?? hedgeSelection.available[0];
            if (!hedge) return undefined;
            tried.add(hedge.id);
            if (
              hedge.circuit.state !== "closed" &&
              !(await ctx.replication.claimProbe(hedge.id, hedge.circuit))
            )
              return undefined;
            // Optional work: room at the hedge's engine now, or no hedge (kv-attempt-gate.ts).
            hedgeKvRelease = await enterAttemptGate(
              ctx,
              hedge,
              { id: request.id, body: proxied.parsedBody },
              routing,
              0,
              clientGone,
            );
            if (hedgeKvRelease === undefined) {
              hedge.circuit.onAbandon();
              tried.delete(hedge.id);
              return undefined;
            }
            ctx.metrics.routingDecisions.inc(1, strategy.name, "hedge");
            request.routeTrail?.pick({
              strategy: strategy.name,
              picked: hedge.id,
              candidates: hedgeSelection.available.map((candidate) => candidate.id),
              excluded: hedgeSelection.excluded,
            });
            return hedge;
          },
          // Every field named, not `...attempt`: a spread and its added keys cost more than the literal
          // (measured on the JSON path), and the object keeps the shape attemptOnce is compiled for.
          start: (on, signal) =>
            attemptOnce(ctx, request, reply, {
              client,
              proxied,
              model,
              body,
              backend: on,
              signal,
              deadline,
              debugHeader:
                proxied.debug && on !== backend
                  ? describeRoute(strategy.name, selection, on, failures)
                  : debugHeader,
              continueStream,
              race: signal,
            }),
          onSideResult: (on, side) => {
            if (side.kind === "full") noteFull(on);
            else if (side.kind === "failed") noteFailure(on, side.failure);
          },
          onAnswerTime: (ms) => ctx.hedgeDelays.record(model, ms),
          onHedge: (outcome) => ctx.metrics.hedges.inc(1, outcome),
        });
        result = raced.result;
        attempted = raced.backend;
        hedgeDue = raced.hedgeDue;
      } else result = await attemptOnce(ctx, request, reply, attempt);
    } finally {
      // A non-streamed race ends as soon as its winner's answer is written: the loser's room goes then.
      kv.release();
      hedgeKvRelease?.();
    }
    if (result.kind === "relayed" || result.kind === "aborted") return;
    if (result.kind === "full") {
      noteFull(attempted);
      continue;
    }
    const { failure } = result;
    noteFailure(attempted, failure);
    // A hung backend is retried elsewhere like a failed one, while the deadline leaves time; when
    // every attempt failed and the last one timed out, or time ran out, the client gets a 504.
    lastTimedOut = failure.kind === "timeout";
    if (!isRetryable(failure)) break;
  }
  if (lastTimedOut || outOfTime) throw timeoutError(ctx.config, failures);
  if (failures.length === 0) {
    ctx.metrics.routingDecisions.inc(1, strategy.name, "no_backend");
    throw noBackendError(model, serving, lastSelection);
  }
  throw failedError(model, failures);
}

/**
 * How long the attempt starting now waits for its answer before it is hedged; Infinity when its
 * own budget ends first (it is then retried, not hedged).
 */
function hedgeDelayMs(ctx: GatewayContext, model: string, deadline: RequestDeadline): number {
  const delay = ctx.hedgeDelays.delayMs(model, hedgeAfterSeconds(ctx.config, model));
  return delay < deadline.attemptBudgetMs() ? delay : Number.POSITIVE_INFINITY;
}

/** Nothing was attempted: every backend was excluded (unhealthy, circuit open, said to come back later). */
function noBackendError(
  model: string,
  serving: readonly BackendState[],
  selection: Selection | undefined,
): GatewayError {
  const now = performance.now();
  const later = serving.map((backend) => waitingFor(backend, now)).filter((entry) => entry !== undefined);
  const waits = serving.map((backend) => backend.circuit.retryAfterMs).filter((ms) => ms > 0);
  for (const backend of serving)
    if (backend.outlier.ejected(now)) waits.push(backend.outlier.ejectedForMs(now));
  for (const entry of later) waits.push(entry.until - now);
  const retryAfter = retryAfterSeconds(waits.length > 0 ? Math.min(...waits) : undefined);
  const why = selection?.excluded.length ? ` (${selection.excluded.join(", ")})` : "";
  if (later.length > 0 && later.every((entry) => entry.status === 429)) {
    return new GatewayError(
      "SWY_ERR_CAPACITY",
      `Every backend of model '${model}' asked to be retried later${why}.`,
      { headers: { "retry-after": retryAfter } },
    );
  }
  return new GatewayError(
    "SWY_ERR_NO_HEALTHY_BACKEND",
    `No healthy backend is available for model '${model}'${why}.`,
    { headers: { "retry-after": retryAfter } },
  );
}

/** Every attempt failed: 429/503 when each was refused with "come back later", else 502. */
function failedError(model: string, failures: readonly AttemptFailure[]): GatewayError {
  const attempts = failures.map(describeFailure).join("; ");
  const refusal = refusalOf(failures);
  if (refusal) {
    const headers = { "retry-after": retryAfterSeconds(refusal.retryAfterMs) };
    return refusal.status === 429
      ? new GatewayError(
          "SWY_ERR_CAPACITY",
          `Every backend of model '${model}' is rate limited: ${attempts}.`,
          {
            headers,
          },
        )
      : new GatewayError(
          "SWY_ERR_NO_HEALTHY_BACKEND",
          `Every backend of model '${model}' is unavailable: ${attempts}.`,
          {
            headers,
          },
        );
  }
  return new GatewayError(
    "SWY_ERR_UPSTREAM_FAILED",
    `All ${failures.length} attempt(s) for model '${model}' failed: ${attempts}.`,
  );
}

/** Average pause between two tries of a backend whose global cap was reached (shared state). */
const GLOBAL_CAP_POLL_MS = 50;

/** An empty list shared by every selection that excludes nothing. */
const NONE: readonly never[] = Object.freeze([]);

function select(
  serving: readonly BackendState[],
  tried: ReadonlySet<string>,
  globallyFull?: ReadonlySet<string>,
): Selection {
  const now = performance.now();
  let index = 0;
  while (index < serving.length && exclusion(serving[index]!, tried, globallyFull, now) === undefined)
    index++;
  // The usual case, every backend eligible: the list is `serving` itself, nothing is copied.
  if (index === serving.length) return { available: serving, full: NONE, excluded: NONE };
  const available = serving.slice(0, index);
  const full: BackendState[] = [];
  const excluded: string[] = [];
  for (; index < serving.length; index++) {
    const backend = serving[index]!;
    const why = exclusion(backend, tried, globallyFull, now);
    if (why === undefined) available.push(backend);
    else {
      if (why === "full") full.push(backend);
      excluded.push(`${backend.id}: ${why}`);
    }
  }
  return { available, full, excluded };
}

/** Why `backend` cannot take the request now; undefined when it can. */
function exclusion(
  backend: BackendState,
  tried: ReadonlySet<string>,
  globallyFull: ReadonlySet<string> | undefined,
  now: number,
): string | undefined {
  if (tried.has(backend.id)) return "tried";
  if (waitingFor(backend, now)) return "retry later";
  if (backend.draining) return "draining";
  if (!backend.healthy) return "unhealthy";
  if (!backend.circuit.canAttempt()) return `circuit ${backend.circuit.state}`;
  if (backend.outlier.ejected(now)) return "ejected";
  if (!backend.hasCapacity || globallyFull?.has(backend.id)) return "full";
  return undefined;
}

/** The 504 of a request whose answer did not start in time, naming each attempt and why it failed. */
function timeoutError(config: GatewayContext["config"], failures: readonly AttemptFailure[]): GatewayError {
  const attempts =
    failures.length > 0 ? `: ${failures.map(describeFailure).join("; ")}` : " (no attempt finished)";
  return new GatewayError(
    "SWY_ERR_UPSTREAM_TIMEOUT",
    `No backend answered within the request_timeout of ${config.request_timeout} s${attempts}.`,
  );
}

/** A wait for capacity ran out: the request's deadline came first (504), or queue_timeout did (429). */
function waitTimedOut(
  config: GatewayContext["config"],
  model: string,
  failures: readonly AttemptFailure[],
  deadlineFirst: boolean,
): GatewayError {
  return deadlineFirst
    ? timeoutError(config, failures)
    : capacityError(model, config.queue_timeout, "timeout");
}

function capacityError(model: string, timeoutSeconds: number, outcome: "full" | "timeout"): GatewayError {
  const message =
    outcome === "full"
      ? `Every backend of model '${model}' is at capacity and the wait queue is full.`
      : `Every backend of model '${model}' stayed at capacity for ${timeoutSeconds} s.`;
  return new GatewayError("SWY_ERR_CAPACITY", message, { headers: { "retry-after": "1" } });
}

/** The picked backend's KV admission queue was full, or its engine's cache stayed full until queue_timeout. */
function kvShedError(model: string, backendId: string, holdSeconds: number): GatewayError {
  return new GatewayError(
    "SWY_ERR_KV_SHED",
    `The KV cache of backend '${backendId}' for model '${model}' stayed full and its admission queue could not hold the request.`,
    // Room frees as running turns end and the holds of finished sessions age out.
    { headers: { "retry-after": String(Math.max(1, Math.ceil(holdSeconds))) } },
  );
}

/** Every eligible backend's expected wait stayed above the model's TTFT target. */
function sloShedError(model: string, target: SloTarget, retryAfterSeconds: number): GatewayError {
  return new GatewayError(
    "SWY_ERR_SLO_SHED",
    `Every backend of model '${model}' is expected to take longer than the ${target.sloMs / 1000} s time-to-first-token target.`,
    { headers: { "retry-after": String(retryAfterSeconds) } },
  );
}

function describeRoute(
  strategyName: string,
  selection: Selection,
  picked: BackendState,
  failures: readonly AttemptFailure[],
): string {
  const parts = [
    `strategy=${strategyName}`,
    `picked=${picked.id}`,
    `candidates=${selection.available.map((backend) => backend.id).join(",")}`,
  ];
  if (selection.excluded.length > 0) parts.push(`excluded=${selection.excluded.join(",")}`);
  if (failures.length > 0) parts.push(`failed=${failures.length}`);
  return parts.join("; ").replace(/[^\x20-\x7e]/g, "?");
}
