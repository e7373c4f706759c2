/**
 * The serve HTTP app: OpenAI routes (chat, completions, embeddings, models), `/tokenize`, `/health`, `/queue/status`
 * and `/metrics`, and the hooks that keep every error an OpenAI error body with a stable code. Logs go
 * to stderr (stdout carries only the READY line); no per-request logging.
 * @module
 */
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { ServeContext } from "./context.js";
import { ServeError, sendServeError, toServeError } from "./errors.js";
import type { RequestRoute } from "./metrics.js";
import { registerChatRoute } from "./routes/chat.js";
import { registerCompletionsRoute } from "./routes/completions.js";
import { registerEmbeddingsRoute } from "./routes/embeddings.js";
import { registerStatusRoutes } from "./routes/status.js";
import { registerTokenizeRoute } from "./routes/tokenize.js";

const INFERENCE_ROUTES: Readonly<Record<string, RequestRoute>> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "completions",
  "/v1/embeddings": "embeddings",
};

function outcomeOf(status: number) {
  if (status === 429) return "rejected" as const;
  return status < 500 ? ("client_error" as const) : ("error" as const);
}

/** Builds (does not start) the app around `context`. Use `app.inject()` in tests. */
export function buildServeApp(context: ServeContext): FastifyInstance {
  const app = Fastify({
    logger: {
      level: context.options.logLevel,
      stream: process.stderr,
      redact: ["req.headers.authorization"],
    },
    logController: new LogController({ disableRequestLogging: true }),
    // Closing ends open streams too: their generations see the abort and free their slots.
    forceCloseConnections: true,
    bodyLimit: context.options.bodyLimit,
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ServeError(
      "SWY_ERR_SERVE_ROUTE_NOT_FOUND",
      `Invalid URL (${request.method} ${request.url})`,
    );
    return sendServeError(reply, error);
  });

  app.setErrorHandler((thrown, request, reply) => {
    const error = toServeError(thrown);
    if (error.code === "SWY_ERR_SERVE_INTERNAL") {
      request.log.error({ err: thrown, requestId: request.id }, "serve request failed");
    }
    const route = INFERENCE_ROUTES[request.routeOptions.url ?? ""];
    if (route !== undefined) context.metrics.requests.inc({ route, outcome: outcomeOf(error.status) });
    return sendServeError(reply, error);
  });

  registerChatRoute(app, context);
  registerCompletionsRoute(app, context);
  registerEmbeddingsRoute(app, context);
  registerTokenizeRoute(app, context);
  registerStatusRoutes(app, context);
  return app;
}
