/**
 * The access log: one line per answered request (gateway-made errors included), written when the
 * response finishes — for a stream, when it ends. The pipeline notes what only it knows (the client
 * key's name, the model sent, the backend, attempts, tokens) on the request's own entry; the line
 * never holds a prompt, a key or an auth header. Off unless `access_log` is set, or `log_level` is
 * `debug` or `trace`; when off no hook runs and the notes are a null check.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/schema.js";
import type { TokenUsage } from "../upstream/usage.js";

/**
 * What the pipeline learns about one request while serving it. Every inference request has one (the
 * request metrics read it, request-metrics.ts); other routes have one while the access log is on.
 */
export interface AccessLogEntry {
  /** The name of the client key the request authenticated with (never the key). */
  client: string | undefined;
  /** That key's id (a config key's name, a runtime key's id), never the key. */
  clientId: string | undefined;
  /** The routing session key (`x-session-id`, `user`, …) when the request had one. */
  sessionKey: string | undefined;
  /** The error code (`model_not_found`, …) of an answer the gateway made itself. */
  errorCode: string | undefined;
  /** The model the backend was asked for, when it differs from the one requested (alias, sentinel). */
  sentModel: string | undefined;
  /** The backend of the last attempt: the one that answered, or the last that failed. */
  backend: string | undefined;
  /** The resolved model, once a backend is known to serve it (a bounded metrics label). */
  model: string | undefined;
  /** The backend whose answer the client got; undefined when the gateway answered itself. */
  answeredBy: string | undefined;
  attempts: number;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  cachedTokens: number | undefined;
  reasoningTokens: number | undefined;
  /** A JSON answer's body, noted only while the ledger keeps text (`ledger_keep_text`). */
  completionText: string | undefined;
  /** Milliseconds from the request's arrival to its first byte written to the client. */
  firstByteMs: number | undefined;
  /** When the last attempt went upstream (performance.now()), for the backend's TTFT (slo-goodput.ts). */
  sentAt: number | undefined;
  /** What the engine held ahead of that attempt: in flight from here plus its scraped queue. */
  sentAhead: number;
  written: boolean;
  /** The answer is in the request metrics (request-metrics.ts): they count it once. */
  counted: boolean;
}

/** The fields of one access-log line; undefined ones are left out of the JSON. */
export interface AccessLogRecord {
  reqId: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  ttfbMs: number | undefined;
  client: string | undefined;
  model: string | undefined;
  sentModel: string | undefined;
  backend: string | undefined;
  attempts: number;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  /** The client hung up before the answer was complete (set only then). */
  clientGone: true | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set on inference requests, and on every request while the access log is on. */
    accessLog: AccessLogEntry | null;
  }
}

const VERBOSE_LEVELS = new Set(["debug", "trace"]);

/** An explicit `access_log` wins; otherwise the access log comes with a verbose `log_level`. */
export function accessLogEnabled(config: Pick<GatewayConfig, "access_log" | "log_level">): boolean {
  return config.access_log ?? VERBOSE_LEVELS.has(config.log_level);
}

export function newAccessLogEntry(): AccessLogEntry {
  return {
    client: undefined,
    clientId: undefined,
    sessionKey: undefined,
    errorCode: undefined,
    sentModel: undefined,
    backend: undefined,
    model: undefined,
    answeredBy: undefined,
    attempts: 0,
    promptTokens: undefined,
    completionTokens: undefined,
    cachedTokens: undefined,
    reasoningTokens: undefined,
    completionText: undefined,
    firstByteMs: undefined,
    sentAt: undefined,
    sentAhead: 0,
    written: false,
    counted: false,
  };
}

/**
 * One line's fields. The requested model is read from the parsed body's `model` alone: nothing else
 * of the body (prompts, messages) ever reaches the line.
 */
export function accessLogRecord(
  request: { id: string; method: string; url: string; body: unknown },
  status: number,
  latencyMs: number,
  entry: AccessLogEntry,
  clientGone = false,
): AccessLogRecord {
  const model = requestedModel(request.body);
  const queryAt = request.url.indexOf("?");
  return {
    reqId: request.id,
    method: request.method,
    path: queryAt < 0 ? request.url : request.url.slice(0, queryAt),
    status,
    latencyMs: round(latencyMs),
    ttfbMs: entry.firstByteMs === undefined ? undefined : round(entry.firstByteMs),
    client: entry.client,
    model,
    sentModel: entry.sentModel !== model ? entry.sentModel : undefined,
    backend: entry.backend,
    attempts: entry.attempts,
    promptTokens: entry.promptTokens,
    completionTokens: entry.completionTokens,
    clientGone: clientGone ? true : undefined,
  };
}

/**
 * Turns the access log on for `app`. Its lines are written at info whatever `log_level` says, so
 * `access_log: true` works with a quiet log too.
 */
export function registerAccessLog(app: FastifyInstance, logger: Logger): void {
  const accessLogger = logger.child({}, { level: "info" });
  const write = (
    request: FastifyRequest,
    reply: FastifyReply,
    entry: AccessLogEntry,
    clientGone: boolean,
  ) => {
    if (entry.written) return;
    entry.written = true;
    accessLogger.info(
      accessLogRecord(request, reply.statusCode, reply.elapsedTime, entry, clientGone),
      "request",
    );
  };
  app.addHook("onRequest", (request, reply, done) => {
    const entry = newAccessLogEntry();
    request.accessLog = entry;
    watchFirstByte(reply, entry);
    // Fastify runs onResponse only for answers that finish: a client that hangs up mid-answer
    // (a stream it stopped reading) would otherwise leave no line.
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) write(request, reply, entry, true);
    });
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    const entry = request.accessLog;
    if (entry) write(request, reply, entry, false);
    done();
  });
}

/** Decorated on every request (null), so requests keep one shape whether the log is on or not. */
export function decorateAccessLog(app: FastifyInstance): void {
  app.decorateRequest("accessLog", null);
}

export function noteClient(request: FastifyRequest, client: { name: string; id?: string }): void {
  const entry = request.accessLog;
  if (!entry) return;
  entry.client = client.name;
  entry.clientId = client.id;
}

/**
 * The request's session key, unless it is the client's credential: routing falls back on the API
 * key to keep a client on one backend, and a key is never recorded.
 */
export function noteSession(request: FastifyRequest, sessionKey: string | undefined): void {
  const entry = request.accessLog;
  if (!entry || sessionKey === undefined) return;
  const { authorization, "x-api-key": apiKey } = request.headers;
  if (sessionKey === authorization || sessionKey === apiKey) return;
  entry.sessionKey = sessionKey;
}

/** The gateway answers with its own error, `code` as the client sees it. */
export function noteErrorCode(request: FastifyRequest, code: string): void {
  const entry = request.accessLog;
  if (entry) entry.errorCode = code;
}

/** An upstream attempt starts: `model` is the name the backend is asked for. */
export function noteAttempt(request: FastifyRequest, backendId: string, model: string): void {
  const entry = request.accessLog;
  if (!entry) return;
  entry.attempts++;
  entry.backend = backendId;
  entry.sentModel = model;
}

/** The attempt holds its slot and goes upstream now, behind `ahead` requests on the engine. */
export function noteSent(request: FastifyRequest, ahead: number): void {
  const entry = request.accessLog;
  if (!entry) return;
  entry.sentAt = performance.now();
  entry.sentAhead = ahead;
}

/** The request's model is served here: from now on it may label metrics. */
export function noteModel(request: FastifyRequest, model: string): void {
  const entry = request.accessLog;
  if (entry) entry.model = model;
}

/** The client gets `backendId`'s answer (not one the gateway made after the attempts failed). */
export function noteAnswer(request: FastifyRequest, backendId: string): void {
  const entry = request.accessLog;
  if (!entry) return;
  entry.answeredBy = backendId;
  // A hedge (hedge.ts) may have started after the attempt that answered: the line names the latter.
  entry.backend = backendId;
}

export function noteCompletion(request: FastifyRequest, body: Buffer): void {
  const entry = request.accessLog;
  if (entry) entry.completionText = body.toString("utf8");
}

/** Summed like the token metrics: a stream may report usage in more than one event. */
export function noteUsage(request: FastifyRequest, usage: TokenUsage): void {
  const entry = request.accessLog;
  if (!entry) return;
  entry.promptTokens = (entry.promptTokens ?? 0) + usage.prompt;
  entry.completionTokens = (entry.completionTokens ?? 0) + usage.completion;
  if (usage.cached !== undefined) entry.cachedTokens = (entry.cachedTokens ?? 0) + usage.cached;
  if (usage.reasoning !== undefined) entry.reasoningTokens = (entry.reasoningTokens ?? 0) + usage.reasoning;
}

/**
 * Records when the first byte goes out. Answers leave by many paths (fastify's send, hijacked
 * relays, piped streams, error events), all through the raw response's write or end: the
 * first call of either is the moment, after which the originals are put back.
 */
export function watchFirstByte(reply: FastifyReply, entry: AccessLogEntry): void {
  onFirstByte(reply, () => {
    entry.firstByteMs = reply.elapsedTime;
  });
}

/** Calls `onFirst` once, as the first byte of the answer (its body, or an empty one ending) goes out. */
export function onFirstByte(reply: FastifyReply, onFirst: () => void): void {
  const raw = reply.raw;
  const { write, end } = raw;
  const mark = () => {
    raw.write = write;
    raw.end = end;
    onFirst();
  };
  raw.write = ((...args: unknown[]) => {
    mark();
    return (write as (...args: unknown[]) => boolean).apply(raw, args);
  }) as typeof write;
  raw.end = ((...args: unknown[]) => {
    mark();
    return (end as (...args: unknown[]) => typeof raw).apply(raw, args);
  }) as typeof end;
}

/** The `model` of a parsed body, if it names one. */
export function requestedModel(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const model = (body as { model?: unknown }).model;
  return typeof model === "string" ? model : undefined;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
