/**
 * serve's API in front of a supervised engine: the same admission queue (429 with Retry-After when full,
 * a slot per generation), `/health` (503 while the engine starts or restarts), `/queue/status` and
 * `/metrics`; inference and `/tokenize` are passed to the engine, bodies streamed both ways, and a client
 * that leaves frees its slot and cancels the engine's request.
 * @module
 */
import { pipeline } from "node:stream/promises";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { request as upstreamRequest } from "undici";
import type { ServeContext } from "../context.js";
import { ServeError, sendServeError, toServeError } from "../errors.js";
import type { RequestRoute } from "../metrics.js";
import { clientGoneSignal, inSlot } from "../slot.js";
import type { ExternalEngine } from "./engines.js";
import type { EngineState } from "./supervisor.js";

/** What the front needs of the supervisor. */
export interface SupervisedEngine {
  readonly engine: ExternalEngine;
  readonly url: string;
  readonly state: EngineState;
}

const QUEUED_ROUTES: Readonly<Record<string, RequestRoute>> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "completions",
  "/v1/embeddings": "embeddings",
};

/** Hop-by-hop headers stay on their own connection. */
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

function forwardedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name.toLowerCase())) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function requireReady(engine: SupervisedEngine, context: ServeContext): void {
  if (engine.state === "ready") return;
  throw new ServeError("SWY_ERR_SERVE_LOADING", `The model '${context.modelName}' is still loading.`, {
    retryAfterSeconds: 2,
  });
}

/** Sends the request to the engine and streams its answer to the client; resolves when it is written. */
async function relay(
  engine: SupervisedEngine,
  request: FastifyRequest,
  reply: FastifyReply,
  signal: AbortSignal,
): Promise<void> {
  const body = request.body as Buffer | undefined;
  let upstream: Awaited<ReturnType<typeof upstreamRequest>>;
  try {
    upstream = await upstreamRequest(`${engine.url}${request.url}`, {
      method: request.method as "GET" | "POST",
      headers: forwardedHeaders(request.headers),
      body: body !== undefined && body.length > 0 ? body : undefined,
      signal,
    });
  } catch (error) {
    if (signal.aborted) return;
    throw new ServeError(
      "SWY_ERR_SERVE_LOADING",
      `The ${engine.engine} engine is not answering; retry shortly.`,
      {
        retryAfterSeconds: 2,
        cause: error,
      },
    );
  }
  reply.hijack();
  reply.raw.writeHead(upstream.statusCode, forwardedHeaders(upstream.headers));
  await pipeline(upstream.body, reply.raw).catch(() => {
    // The client left (its signal aborted the engine's request) or the engine died mid-answer.
    reply.raw.destroy();
  });
}

/** Builds (does not start) the front app. */
export function buildFrontApp(context: ServeContext, engine: SupervisedEngine): FastifyInstance {
  const app = Fastify({
    logger: { level: context.options.logLevel, stream: process.stderr },
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit: context.options.bodyLimit,
  });
  // Bodies go to the engine as they came.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.setNotFoundHandler((request, reply) =>
    sendServeError(
      reply,
      new ServeError("SWY_ERR_SERVE_ROUTE_NOT_FOUND", `Invalid URL (${request.method} ${request.url})`),
    ),
  );
  app.setErrorHandler((thrown, _request, reply) => sendServeError(reply, toServeError(thrown)));

  app.get("/health", async (_request, reply) => {
    if (engine.state !== "ready") {
      reply.header("retry-after", "2");
      const status = engine.state === "restarting" ? "restarting" : "loading";
      return reply.code(503).send({ status, model: context.modelName, engine: engine.engine });
    }
    return { status: "ok", model: context.modelName, engine: engine.engine, queue: context.queue.snapshot() };
  });
  app.get("/queue/status", async () => ({ model: context.modelName, ...context.queue.snapshot() }));
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
  app.get("/v1/models", async (request, reply) => {
    requireReady(engine, context);
    await relay(engine, request, reply, clientGoneSignal(reply));
  });
  app.post("/tokenize", async (request, reply) => {
    requireReady(engine, context);
    await relay(engine, request, reply, clientGoneSignal(reply));
  });
  for (const [path, route] of Object.entries(QUEUED_ROUTES)) {
    app.post(path, async (request, reply) => {
      requireReady(engine, context);
      const signal = clientGoneSignal(reply);
      try {
        await inSlot(context, route, signal, () => relay(engine, request, reply, signal));
        context.metrics.requests.inc({ route, outcome: "ok" });
      } catch (error) {
        const status = toServeError(error).status;
        context.metrics.requests.inc({ route, outcome: status === 429 ? "rejected" : "error" });
        throw error;
      }
    });
  }
  return app;
}
