/**
 * The mock backend as a fastify instance: OpenAI and Anthropic routes, `/tokenize` (unless
 * `--no-tokenize`), `/v1/responses` with `--native-apis responses`, control routes, vLLM's `/metrics`
 * with `--engine-sim`, and the hooks that
 * keep every answer in a protocol's error format (unknown route, bad JSON, body too large, `--unavailable-for`).
 *
 * Built for speed at zero delay and zero faults: no request logging, no per-request timers, replies built
 * with string operations. Keep-alive stays at Node's defaults; `close()` also ends hung requests
 * (`forceCloseConnections`), so a mock with `--hang-rate` still shuts down at once.
 * @module
 */
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyError, type FastifyInstance, LogController } from "fastify";
import { noRouteSchemas } from "../process/no-route-schemas.js";
import { registerAnthropicRoutes } from "./anthropic-routes.js";
import { MockContext } from "./context.js";
import { registerControlRoutes } from "./control-routes.js";
import { protocolOf, sendCodedError, sendError } from "./errors.js";
import { servesNatively } from "./native.js";
import { registerOpenAIRoutes } from "./openai-routes.js";
import { defaultMockId, type MockOptionsInput, parseMockOptions } from "./options.js";
import { registerTokenizeRoute } from "./tokenize-route.js";

/** Builds (does not start) a mock. Use `app.inject()` in tests, or `startMock()` to listen. */
export function buildMockApp(input: MockOptionsInput = {}): FastifyInstance {
  const options = parseMockOptions(input);
  const context = new MockContext(options);
  const app = Fastify({
    logger: {
      level: options.logLevel,
      // stdout carries the READY line only; logs go to stderr, without secrets.
      stream: process.stderr,
      redact: ["req.headers.authorization", 'req.headers["x-api-key"]'],
    },
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit: options.bodyLimit,
    schemaController: noRouteSchemas("mock"),
  });

  app.addHook("onListen", async () => {
    if (options.id !== undefined) return;
    const address = app.server.address() as AddressInfo | null;
    if (address) context.id = defaultMockId(address.port);
  });

  // `--unavailable-for`: every route but /mock/* answers 503 until the deadline passes.
  app.addHook("onRequest", (request, reply, done) => {
    const remainingMs = context.faults.unavailableMs();
    if (remainingMs === 0 || request.url.startsWith("/mock/")) {
      done();
      return;
    }
    sendCodedError(reply, protocolOf(request.url), "SWY_ERR_SERVE_LOADING", "model is loading", {
      retryAfter: String(Math.ceil(remainingMs / 1000)),
    });
  });

  app.setNotFoundHandler((request, reply) => {
    sendCodedError(
      reply,
      "openai",
      "SWY_ERR_SERVE_ROUTE_NOT_FOUND",
      `Invalid URL (${request.method} ${request.url})`,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error, requestId: request.id }, "mock request failed");
    const message = status >= 500 ? "internal error in the mock backend" : error.message;
    sendError(reply, protocolOf(request.url), status, message, {
      code: status >= 500 ? null : (error.code ?? null),
    });
  });

  registerOpenAIRoutes(app, context);
  registerAnthropicRoutes(app, context);
  if (options.tokenize) registerTokenizeRoute(app, context);
  if (servesNatively(context, "responses")) {
    // Loaded only with the flag: the Responses translator is a quarter of a plain mock's modules,
    // and tests start many mocks. A plugin, so the import is done before the app is ready.
    app.register(async (scope) => {
      const { registerResponsesRoutes } = await import("./responses-routes.js");
      registerResponsesRoutes(scope, context);
    });
  }
  registerControlRoutes(app, context);
  const engine = context.engine;
  if (engine) {
    // vLLM's /metrics (engine-sim/metrics.ts); the plain mock has none (404), as a bare engine.
    app.get("/metrics", (_request, reply) =>
      reply.type("text/plain; version=0.0.4; charset=utf-8").send(engine.metricsText()),
    );
    // vLLM's development endpoint: benches start each run from a cold cache without a restart.
    app.post("/reset_prefix_cache", (_request, reply) => {
      engine.scheduler.cache.resetPrefixCache();
      reply.code(200).send();
    });
    app.addHook("onClose", async () => engine.close());
  }
  return app;
}
