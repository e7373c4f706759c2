/**
 * The gateway's HTTP side: the fastify app with its limits and timeouts, the hooks every request
 * passes (access log, endpoint, client, JSON body, URL length), the error and not-found handlers,
 * and the route plugins over the gateway's context.
 * @module
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { noRouteSchemas } from "../process/no-route-schemas.js";
import { accessLogEnabled, decorateAccessLog, registerAccessLog } from "./access-log.js";
import { authenticateClient, decorateGatewayClient } from "./client-auth.js";
import { createClientErrorHandler } from "./client-error.js";
import { ConnectionDrain } from "./connection-drain.js";
import { capConnectionsPerIp } from "./connections-per-ip.js";
import type { GatewayContext } from "./context.js";
import { decorateEndpoint } from "./endpoint.js";
import { sendError } from "./error-reply.js";
import { GatewayError } from "./errors.js";
import { registerJsonBodyParser } from "./json-body.js";
import { forFastify } from "./logger.js";
import { decorateRequestTrace } from "./request-trace.js";
import { decorateRouteTrail } from "./route-decisions.js";
import { adminRoutes } from "./routes/admin.js";
import { anthropicRoutes } from "./routes/anthropic.js";
import { consoleRoutes } from "./routes/console.js";
import { healthRoutes } from "./routes/health.js";
import { keyRoutes } from "./routes/keys.js";
import { ledgerRoutes } from "./routes/ledger.js";
import { openAIRoutes } from "./routes/openai.js";
import { responseStoreRoutes } from "./routes/response-store.js";
import { responsesRoutes } from "./routes/responses.js";
import { serviceStatusRoutes } from "./routes/service-status.js";
import { enforceSendTimeout } from "./send-timeout.js";

export interface HttpApp {
  app: FastifyInstance;
  /** Closes the app's connections gracefully on shutdown (connection-drain.ts). */
  drain: ConnectionDrain;
}

/** The app for `context`, its routes registered; it listens when the gateway starts. */
export function buildHttpApp(context: GatewayContext): HttpApp {
  const { config, logger } = context;
  const app = Fastify({
    loggerInstance: forFastify(logger) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.body_limit,
    schemaController: noRouteSchemas("gateway"),
    requestIdHeader: "x-request-id",
    genReqId: nextRequestId,
    // Errors fastify raises before routing (a malformed URL, an over-long parameter) answer in our format too.
    frameworkErrors: (error, request, reply) => sendError(request, reply, error),
    // Requests Node's parser refuses (headers over max_header_bytes, malformed HTTP) answer in our format too.
    clientErrorHandler: createClientErrorHandler(
      {
        maxHeaderBytes: config.max_header_bytes,
        maxUrlBytes: config.max_url_bytes,
        clientTimeoutSeconds: config.client_timeout,
      },
      nextRequestId,
      logger as FastifyBaseLogger,
    ),
    // Draining (connection-drain.ts) serves what still arrives with Connection: close; a 503 would be a lost request.
    return503OnClosing: false,
    // A client must send its whole request within this time: slow senders cannot hold a slot. Node
    // checks these deadlines on an interval (30 s by default), too coarse for a short timeout.
    requestTimeout: Math.round(config.client_timeout * 1000),
    // The idle half of send_timeout: an answer the kernel's buffers took whole leaves a client that
    // never reads looking idle, and only this frees its slot.
    keepAliveTimeout: Math.max(1, Math.round(config.keep_alive_timeout * 1000)),
    http: {
      // Node checks headersTimeout ≤ requestTimeout when the server is created, before fastify sets
      // its own requestTimeout, so a client_timeout above Node's default (300 s) needs it here too.
      requestTimeout: Math.round(config.client_timeout * 1000),
      connectionsCheckingInterval: Math.max(1, Math.min(1_000, Math.round(config.client_timeout * 500))),
      headersTimeout: Math.round(config.client_timeout * 1000),
      // The request line counts toward it, so a URL can never be longer than this either.
      maxHeaderSize: config.max_header_bytes,
    },
  });
  const drain = new ConnectionDrain(app.server);
  enforceSendTimeout(app.server, config.send_timeout * 1000);
  capConnectionsPerIp(app.server, config.max_connections_per_ip);
  decorateAccessLog(app);
  decorateRequestTrace(app);
  decorateRouteTrail(app);
  decorateEndpoint(app);
  decorateGatewayClient(app);
  if (accessLogEnabled(config)) registerAccessLog(app, logger);
  registerJsonBodyParser(app);
  if (config.max_url_bytes > 0) rejectLongUrls(app, config.max_url_bytes);
  const knownPaths = new Set<string>();
  app.addHook("onRoute", (route) => {
    knownPaths.add(route.url);
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? request.url;
    const error = knownPaths.has(path)
      ? new GatewayError("SWY_ERR_METHOD_NOT_ALLOWED", `Method ${request.method} is not allowed on ${path}.`)
      : new GatewayError("SWY_ERR_ROUTE_NOT_FOUND", `Unknown route: ${request.method} ${path}.`);
    sendError(request, reply, error);
  });
  app.register(openAIRoutes(context));
  app.register(anthropicRoutes(context));
  app.register(responsesRoutes(context));
  app.register(
    responseStoreRoutes(() => context.responses.store, { preHandler: authenticateClient(context) }),
  );
  app.register(healthRoutes(context));
  app.register(adminRoutes(context));
  app.register(consoleRoutes(context));
  app.register(keyRoutes(context));
  app.register(ledgerRoutes(context));
  app.register(serviceStatusRoutes(context));
  return { app, drain };
}

/** A URL over the limit is refused before any route work (body parsing, auth, routing hints). */
function rejectLongUrls(app: FastifyInstance, maxUrlBytes: number): void {
  app.addHook("onRequest", (request, reply, done) => {
    // Node decodes the request line as latin1: one character per byte.
    if (request.url.length <= maxUrlBytes) return done();
    sendError(
      request,
      reply,
      new GatewayError(
        "SWY_ERR_URL_TOO_LONG",
        `The request URL is longer than the gateway's limit of ${maxUrlBytes} bytes.`,
      ),
    );
  });
}

/** Request ids: a random prefix per process and a counter, unique without a random draw per request. */
const REQUEST_ID_PREFIX = randomBytes(6).toString("hex");
let requestCounter = 0;
function nextRequestId(): string {
  requestCounter++;
  return `${REQUEST_ID_PREFIX}-${requestCounter.toString(36)}`;
}
