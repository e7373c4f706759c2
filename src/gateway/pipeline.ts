/**
 * One proxied request: resolve the model's backends, let the strategy pick, forward, and retry on
 * another backend while nothing has reached the client yet. When every healthy backend is at its
 * cap, the request waits in a bounded queue for a slot (429 with Retry-After when it cannot).
 *
 * Invariants: every lease taken (inflight + 1) is released exactly once, in `finally`; a retry
 * happens only before the first byte is written to the client; after that, a failure ends an SSE
 * stream with an error event (other bodies are cut) and is counted against the backend.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import type { RoutingFields } from "../protocol/openai/requests.js";
import type { ReasoningRequest } from "../reasoning/request-options.js";
import type { BackendState } from "../routing/backend.js";
import { ClientGone } from "../upstream/client-gone.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { upstreamRequestHeaders } from "../upstream/headers.js";
import type { GatewayContext } from "./context.js";
import { GatewayError } from "./errors.js";
import { reasoningTransform } from "./reasoning-transform.js";
import { relay } from "./relay.js";

export interface ProxyRequest {
  /** Metrics label of the route: chat, completions, embeddings. */
  route: string;
  /** The OpenAI path the backend is asked for, e.g. `/v1/chat/completions`. */
  path: string;
  fields: RoutingFields;
  /** The client's body: forwarded byte for byte unless the model name must change. */
  rawBody: Buffer;
  parsedBody: Record<string, unknown>;
  /** `?node=` — only this backend (name or host:port) may serve the request. */
  forcedNode?: string | undefined;
  /** The client asked for `x-switchyard-route` (header `x-switchyard-debug: 1`). */
  debug: boolean;
  /** Affinity key for sticky routing: `user`, else `x-session-id`, else the client's API key. */
  sessionKey?: string | undefined;
  /** Seed 001's reasoning fields, when the request carried any (chat only). */
  reasoning?: { request: ReasoningRequest; separate: boolean } | undefined;
}

type AttemptResult =
  | { kind: "relayed" }
  | { kind: "aborted" }
  | { kind: "retry"; reason: string }
  | { kind: "timeout"; reason: string };

interface Selection {
  /** Healthy, circuit closed, not yet tried, under cap. */
  available: BackendState[];
  /** Healthy and circuit closed but at their cap. */
  full: BackendState[];
  excluded: string[];
}

export async function proxy(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proxied: ProxyRequest,
): Promise<void> {
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
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) clientGone.abort();
  });
  const strategy = ctx.strategies.for(model);
  const routing = { model, sessionKey: proxied.sessionKey, promptPrefix: proxied.fields.promptPrefix };
  const tried = new Set<string>();
  const failures: string[] = [];
  const queueDeadline = performance.now() + ctx.config.queue_timeout * 1000;
  let lastSelection: Selection | undefined;
  let queuedMs = 0;
  while (failures.length <= ctx.config.max_retries) {
    const selection = select(serving, tried);
    lastSelection = selection;
    if (selection.available.length === 0) {
      if (selection.full.length === 0) break;
      const waitStart = performance.now();
      const outcome = await ctx.capacityQueue.wait(
        (backend) => serving.includes(backend),
        queueDeadline - performance.now(),
        clientGone,
      );
      queuedMs += performance.now() - waitStart;
      if (outcome === "aborted") return;
      if (outcome !== "woken") throw capacityError(model, ctx.config.queue_timeout, outcome);
      continue;
    }
    const backend = (strategy.pick(selection.available, routing) ?? selection.available[0]) as BackendState;
    tried.add(backend.id);
    if (tried.size > 1) ctx.metrics.retries.inc(1, proxied.route);
    ctx.metrics.routingDecisions.inc(1, strategy.name, tried.size > 1 ? "retry" : "picked");
    const debugHeader = proxied.debug
      ? describeRoute(strategy.name, selection, backend, failures)
      : undefined;
    if (tried.size === 1) {
      ctx.metrics.gatewayOverhead.observe((reply.elapsedTime - queuedMs) / 1000, proxied.route);
    }
    const result = await attemptOnce(
      ctx,
      request,
      reply,
      { ...proxied, body, model },
      backend,
      clientGone,
      debugHeader,
    );
    if (result.kind === "relayed" || result.kind === "aborted") return;
    failures.push(`${backend.id}: ${result.reason}`);
    if (result.kind === "timeout") {
      throw new GatewayError(
        "SWY_ERR_UPSTREAM_TIMEOUT",
        `The backend did not answer in time (${failures.join("; ")}).`,
      );
    }
  }
  if (failures.length === 0) {
    ctx.metrics.routingDecisions.inc(1, strategy.name, "no_backend");
    const waits = serving.map((backend) => backend.circuit.retryAfterMs).filter((ms) => ms > 0);
    const retryAfter = waits.length > 0 ? Math.ceil(Math.min(...waits) / 1000) : 1;
    const why = lastSelection?.excluded.length ? ` (${lastSelection.excluded.join(", ")})` : "";
    throw new GatewayError(
      "SWY_ERR_NO_HEALTHY_BACKEND",
      `No healthy backend is available for model '${model}'${why}.`,
      {
        headers: { "retry-after": String(retryAfter) },
      },
    );
  }
  if (failures.every((failure) => failure.includes(": HTTP 429"))) {
    throw new GatewayError(
      "SWY_ERR_CAPACITY",
      `Every backend of model '${model}' is rate limited: ${failures.join("; ")}.`,
      {
        headers: { "retry-after": "1" },
      },
    );
  }
  throw new GatewayError(
    "SWY_ERR_UPSTREAM_FAILED",
    `All ${failures.length} attempt(s) for model '${model}' failed: ${failures.join("; ")}.`,
  );
}

function select(serving: readonly BackendState[], tried: ReadonlySet<string>): Selection {
  const selection: Selection = { available: [], full: [], excluded: [] };
  for (const backend of serving) {
    if (tried.has(backend.id)) selection.excluded.push(`${backend.id}: tried`);
    else if (!backend.healthy) selection.excluded.push(`${backend.id}: unhealthy`);
    else if (!backend.circuit.canAttempt())
      selection.excluded.push(`${backend.id}: circuit ${backend.circuit.state}`);
    else if (!backend.hasCapacity) {
      selection.full.push(backend);
      selection.excluded.push(`${backend.id}: full`);
    } else selection.available.push(backend);
  }
  return selection;
}

function capacityError(model: string, timeoutSeconds: number, outcome: "full" | "timeout"): GatewayError {
  const message =
    outcome === "full"
      ? `Every backend of model '${model}' is at capacity and the wait queue is full.`
      : `Every backend of model '${model}' stayed at capacity for ${timeoutSeconds} s.`;
  return new GatewayError("SWY_ERR_CAPACITY", message, { headers: { "retry-after": "1" } });
}

function describeRoute(
  strategyName: string,
  selection: Selection,
  picked: BackendState,
  failures: string[],
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

async function attemptOnce(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proxied: ProxyRequest & { body: Buffer; model: string },
  backend: BackendState,
  signal: ClientGone,
  debugHeader: string | undefined,
): Promise<AttemptResult> {
  backend.inflight++;
  backend.requests++;
  backend.circuit.onAttempt();
  let verdict: "success" | "failure" | undefined;
  const timeoutMs = ctx.config.request_timeout * 1000;
  const sentAt = performance.now();
  const fail = (reason: string) => {
    verdict = "failure";
    backend.failures++;
    ctx.metrics.upstreamFailures.inc(1, backend.id, reason);
  };
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await ctx.pools.for(backend.origin).request({
        method: "POST",
        path: backend.pathFor(proxied.path),
        headers: upstreamRequestHeaders(request.headers, request.id),
        body: proxied.body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      const failure = classifyUpstreamError(error);
      if (failure === "aborted" || signal.aborted) return { kind: "aborted" };
      const reason = describeUpstreamError(error);
      fail(failure);
      ctx.strategies.for(proxied.model).onResult?.(backend.id, "failure", performance.now() - sentAt);
      if (failure === "connect") ctx.health.markUnreachable(backend, reason);
      return failure === "timeout" ? { kind: "timeout", reason } : { kind: "retry", reason };
    }
    const ttfbMs = performance.now() - sentAt;
    ctx.metrics.upstreamTtfb.observe(ttfbMs / 1000, backend.id);
    if (response.statusCode >= 500 || response.statusCode === 429) {
      const detail = await errorSnippet(response.body);
      // A 429 is the backend's capacity, not its failure: retry elsewhere but leave its circuit alone.
      if (response.statusCode === 429) verdict = "success";
      else fail("status_5xx");
      ctx.strategies
        .for(proxied.model)
        .onResult?.(backend.id, verdict === "failure" ? "failure" : "success", ttfbMs);
      return { kind: "retry", reason: `HTTP ${response.statusCode}${detail ? ` ${detail}` : ""}` };
    }
    verdict = "success";
    ctx.strategies.for(proxied.model).onResult?.(backend.id, "success", ttfbMs);
    ctx.health.markReachable(backend);
    reply.hijack();
    const headers: Record<string, string> = {
      "x-request-id": request.id,
      "x-routed-node": backend.id,
      "x-selected-model": proxied.model,
    };
    if (debugHeader) headers["x-switchyard-route"] = debugHeader;
    const outcome = await relay({
      raw: reply.raw,
      response,
      headers,
      transform: separationFor(proxied, backend),
      routing: proxied.route === "embeddings" ? undefined : backend.routingJson,
      onUsage: (usage) => {
        ctx.metrics.tokens.inc(usage.prompt, proxied.model, backend.id, "prompt");
        ctx.metrics.tokens.inc(usage.completion, proxied.model, backend.id, "completion");
      },
      onBroken: (error) => fail(classifyUpstreamError(error) === "body" ? "body_timeout" : "body"),
    });
    ctx.metrics.requests.inc(1, proxied.route, proxied.model, backend.id, statusText(response.statusCode));
    ctx.metrics.requestDuration.observe(reply.elapsedTime / 1000, proxied.route, proxied.model);
    if (outcome === "client_gone" && verdict === "success") verdict = undefined;
    return { kind: "relayed" };
  } finally {
    backend.inflight--;
    if (verdict === "success") backend.circuit.onSuccess();
    else if (verdict === "failure") backend.circuit.onFailure();
    else backend.circuit.onAbandon();
    ctx.capacityQueue.released(backend);
  }
}

/** Reasoning is separated when the request asks for it or the backend is configured to. */
function separationFor(proxied: ProxyRequest, backend: BackendState) {
  if (proxied.route !== "chat") return undefined;
  const asked = proxied.reasoning?.separate === true;
  if (!asked && !backend.separateReasoning) return undefined;
  const request = proxied.reasoning?.request;
  return reasoningTransform({
    modelType: backend.modelType,
    separateThinking: request?.separateThinking ?? false,
    ...(request ? { includeChannels: request.includeChannels } : {}),
    ...(request?.effort ? { reasoningLevel: request.effort } : {}),
  });
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
