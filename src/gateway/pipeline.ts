/**
 * One proxied request: resolve the model's backends, let the strategy pick, forward, and retry on
 * another backend while nothing has reached the client yet. Upstream bytes are piped to the client
 * untouched, with backpressure; a client that goes away aborts the upstream call.
 *
 * Invariants: every lease taken (inflight + 1) is released exactly once; a retry happens only
 * before the first byte is written to the client; after that, a failure ends an SSE stream with an
 * error event (other bodies are cut) and is counted.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import { openAIError } from "../protocol/openai/errors.js";
import type { RoutingFields } from "../protocol/openai/requests.js";
import { sseData } from "../protocol/sse.js";
import type { BackendState } from "../routing/backend.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "../upstream/headers.js";
import type { GatewayContext } from "./context.js";
import { GatewayError } from "./errors.js";

export interface ProxyRequest {
  /** Metrics label of the route: chat, completions, embeddings. */
  route: string;
  /** The OpenAI path the backend is asked for, e.g. `/v1/chat/completions`. */
  path: string;
  fields: RoutingFields;
  body: Buffer;
}

type AttemptResult =
  | { kind: "relayed" }
  | { kind: "aborted" }
  | { kind: "retry"; reason: string }
  | { kind: "timeout"; reason: string };

export async function proxy(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proxied: ProxyRequest,
): Promise<void> {
  const { model } = proxied.fields;
  const serving = ctx.registry.serving(model);
  if (serving.length === 0) {
    throw new GatewayError(
      "SWY_ERR_MODEL_NOT_FOUND",
      `The model '${model}' does not exist or no backend serves it.`,
      {
        param: "model",
      },
    );
  }
  const abort = new AbortController();
  const onClientClose = () => {
    if (!reply.raw.writableFinished) abort.abort();
  };
  reply.raw.once("close", onClientClose);

  const routing = { model, sessionKey: proxied.fields.user };
  const tried = new Set<string>();
  const failures: string[] = [];
  for (let attempt = 0; attempt <= ctx.config.max_retries; attempt++) {
    const candidates = serving.filter((backend) => backend.routable && !tried.has(backend.id));
    if (candidates.length === 0) break;
    const backend = (ctx.strategy.pick(candidates, routing) ?? candidates[0]) as BackendState;
    tried.add(backend.id);
    if (attempt > 0) ctx.metrics.retries.inc({ route: proxied.route });

    const result = await attemptOnce(ctx, request, reply, proxied, backend, abort.signal);
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
    throw new GatewayError(
      "SWY_ERR_NO_HEALTHY_BACKEND",
      `No healthy backend is available for model '${model}'.`,
    );
  }
  throw new GatewayError(
    "SWY_ERR_UPSTREAM_FAILED",
    `All ${failures.length} attempt(s) for model '${model}' failed: ${failures.join("; ")}.`,
  );
}

async function attemptOnce(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proxied: ProxyRequest,
  backend: BackendState,
  signal: AbortSignal,
): Promise<AttemptResult> {
  backend.inflight++;
  backend.requests++;
  let leased = true;
  const release = () => {
    if (leased) {
      leased = false;
      backend.inflight--;
    }
  };
  const timeoutMs = ctx.config.request_timeout * 1000;
  const sentAt = performance.now();
  try {
    const response = await ctx.pools.for(backend.origin).request({
      method: "POST",
      path: backend.pathFor(proxied.path),
      headers: upstreamRequestHeaders(request.headers, request.id),
      body: proxied.body,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    ctx.metrics.upstreamTtfb.observe({ backend: backend.id }, (performance.now() - sentAt) / 1000);
    if (response.statusCode >= 500) {
      const detail = await errorSnippet(response.body);
      backend.failures++;
      ctx.metrics.upstreamFailures.inc({ backend: backend.id, reason: "status_5xx" });
      return { kind: "retry", reason: `HTTP ${response.statusCode}${detail ? ` ${detail}` : ""}` };
    }
    ctx.health.markReachable(backend);
    await relay(ctx, request, reply, proxied, backend, response);
    return { kind: "relayed" };
  } catch (error) {
    const failure = classifyUpstreamError(error);
    if (failure === "aborted" || signal.aborted) return { kind: "aborted" };
    const reason = describeUpstreamError(error);
    backend.failures++;
    ctx.metrics.upstreamFailures.inc({ backend: backend.id, reason: failure });
    if (failure === "timeout") return { kind: "timeout", reason };
    if (failure === "connect") ctx.health.markUnreachable(backend, reason);
    return { kind: "retry", reason };
  } finally {
    release();
  }
}

/** Pipes the upstream response to the client and resolves when either side is done. */
function relay(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proxied: ProxyRequest,
  backend: BackendState,
  response: Dispatcher.ResponseData,
): Promise<void> {
  const { model } = proxied.fields;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(
    response.statusCode,
    clientResponseHeaders(response.headers, {
      "x-request-id": request.id,
      "x-routed-node": backend.id,
      "x-selected-model": model,
    }),
  );
  const isEventStream = String(response.headers["content-type"] ?? "").startsWith("text/event-stream");
  return new Promise<void>((resolve) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      ctx.metrics.requests.inc({
        route: proxied.route,
        model,
        backend: backend.id,
        status: String(response.statusCode),
      });
      ctx.metrics.requestDuration.observe({ route: proxied.route, model }, reply.elapsedTime / 1000);
      resolve();
    };
    response.body.once("error", (error: Error) => {
      if (raw.destroyed || raw.writableEnded) return done();
      const failure = classifyUpstreamError(error);
      backend.failures++;
      ctx.metrics.upstreamFailures.inc({
        backend: backend.id,
        reason: failure === "other" ? "body" : failure,
      });
      ctx.logger.warn(
        { reqId: request.id, backend: backend.id, err: describeUpstreamError(error) },
        "upstream broke mid-response",
      );
      if (isEventStream) {
        const status = failure === "body" ? 504 : 502;
        raw.end(
          sseData(
            openAIError(
              status,
              `The backend failed mid-stream: ${describeUpstreamError(error)}`,
              "upstream_failed",
            ),
          ),
        );
      } else {
        raw.destroy();
      }
      done();
    });
    raw.once("close", () => {
      if (!raw.writableFinished) response.body.destroy();
      done();
    });
    raw.once("finish", done);
    response.body.pipe(raw);
  });
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
