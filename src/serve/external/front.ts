/**
 * serve's API in front of a supervised engine: the same admission queue (429 with Retry-After when full,
 * a slot per generation), `/health` (503 while the engine starts or restarts), `/queue/status` and
 * `/metrics`; inference and `/tokenize` are passed to the engine, bodies streamed both ways, and a client
 * that leaves frees its slot and cancels the engine's request. A chat request with the reasoning
 * extension fields gets its answer separated as in-process (see `chat-reasoning.ts`).
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
import { type ChatCompletion, separateChatCompletion } from "../../reasoning/openai-response.js";
import type { ServeContext } from "../context.js";
import { ServeError, sendServeError, toServeError } from "../errors.js";
import type { RequestRoute } from "../metrics.js";
import { abandon, clientGoneSignal, inSlot } from "../slot.js";
import { type SeparatedChat, separatedChat } from "./chat-reasoning.js";
import type { ExternalEngine } from "./engines.js";
import { SeparatingSseStream } from "./separating-stream.js";
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

/**
 * Most bytes of an engine's JSON chat answer read to separate its reasoning; a chat completion is a
 * few KiB, so an answer past this is broken, not big.
 */
const MAX_ENGINE_JSON_BYTES = 16 * 1024 * 1024;

type Upstream = Awaited<ReturnType<typeof upstreamRequest>>;

/** The client's headers for the engine; a body serve rewrites comes back uncompressed, to be read. */
function engineHeaders(request: FastifyRequest, rewritten: boolean): Record<string, string> {
  const headers = forwardedHeaders(request.headers);
  if (!rewritten) return headers;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === "accept-encoding") delete headers[name];
  }
  return headers;
}

/** Sends the request (with `body`, the client's or a rewritten one) to the engine. */
async function send(
  engine: SupervisedEngine,
  request: FastifyRequest,
  body: Buffer | undefined,
  signal: AbortSignal,
): Promise<Upstream | undefined> {
  try {
    return await upstreamRequest(`${engine.url}${request.url}`, {
      method: request.method as "GET" | "POST",
      headers: engineHeaders(request, body !== request.body),
      body: body !== undefined && body.length > 0 ? body : undefined,
      signal,
    });
  } catch (error) {
    if (signal.aborted) return undefined;
    throw new ServeError(
      "SWY_ERR_SERVE_LOADING",
      `The ${engine.engine} engine is not answering; retry shortly.`,
      {
        retryAfterSeconds: 2,
        cause: error,
      },
    );
  }
}

/** The engine's answer, bounded; undefined when it outgrew the bound (the request was cancelled). */
async function readBounded(upstream: Upstream): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of upstream.body as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_ENGINE_JSON_BYTES) {
      upstream.body.destroy();
      return undefined;
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** A whole JSON chat answer with its reasoning separated (any other JSON as it came). */
async function sendSeparatedJson(upstream: Upstream, reply: FastifyReply, chat: SeparatedChat) {
  const bytes = await readBounded(upstream);
  if (bytes === undefined) {
    throw new Error(`the engine's answer is over ${MAX_ENGINE_JSON_BYTES} bytes`);
  }
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString("utf8"));
  } catch {
    body = undefined;
  }
  const separated =
    typeof body === "object" && body !== null && Array.isArray((body as { choices?: unknown }).choices)
      ? Buffer.from(JSON.stringify(separateChatCompletion(body as ChatCompletion, chat.separation)))
      : bytes;
  reply.hijack();
  reply.raw.writeHead(upstream.statusCode, forwardedHeaders(upstream.headers));
  reply.raw.end(separated);
}

/**
 * Sends the request to the engine and streams its answer to the client; resolves when it is written.
 * With `chat` the engine gets the rewritten body and its successful chat answer is separated.
 */
async function relay(
  engine: SupervisedEngine,
  request: FastifyRequest,
  reply: FastifyReply,
  signal: AbortSignal,
  chat?: SeparatedChat,
): Promise<void> {
  const upstream = await send(engine, request, chat?.body ?? (request.body as Buffer | undefined), signal);
  if (upstream === undefined) {
    abandon(reply);
    return;
  }
  const contentType = String(upstream.headers["content-type"] ?? "");
  const separating = chat !== undefined && upstream.statusCode < 300;
  const stream = contentType.startsWith("text/event-stream");
  if (separating && !stream && contentType.includes("json")) {
    await sendSeparatedJson(upstream, reply, chat).catch((error: unknown) => {
      // The client left while the answer was read: its signal aborted the read.
      if (!signal.aborted) throw error;
      abandon(reply);
    });
    return;
  }
  reply.hijack();
  reply.raw.writeHead(upstream.statusCode, forwardedHeaders(upstream.headers));
  const steps = separating && stream ? [new SeparatingSseStream(chat.separation)] : [];
  await pipeline([upstream.body, ...steps, reply.raw]).catch(() => {
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
      // A bad reasoning field is a 400 before the request takes a slot.
      const chat =
        route === "chat"
          ? separatedChat(request.body as Buffer | undefined, context.options.modelType)
          : undefined;
      const signal = clientGoneSignal(reply);
      try {
        await inSlot(context, route, signal, () => relay(engine, request, reply, signal, chat));
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
