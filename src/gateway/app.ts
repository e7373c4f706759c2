/**
 * Builds a gateway: the registry of backends, the strategy, upstream pools, health checks, metrics,
 * and the fastify app with its route plugins. `startGateway` also listens and starts probing.
 * @module
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { Client } from "undici";
import { backendId } from "../config/load.js";
import type { GatewayConfig } from "../config/schema.js";
import { createGatewayMetrics } from "../metrics/metrics.js";
import { sumByMetric } from "../metrics/prometheus-text.js";
import type { BackendState } from "../routing/backend.js";
import { CapacityQueue } from "../routing/capacity-queue.js";
import { Discovery } from "../routing/discovery.js";
import { EngineLoadScraper } from "../routing/engine-load.js";
import { HealthChecker, type ProbeFetch } from "../routing/health.js";
import { Registry } from "../routing/registry.js";
import { StrategySet } from "../routing/strategy-set.js";
import { IpcStore, primaryStatePort } from "../state/ipc-client.js";
import type { IpcPort } from "../state/ipc-port.js";
import { MemoryStore } from "../state/memory.js";
import { RedisStore } from "../state/redis.js";
import type { StateStore } from "../state/store.js";
import { getWithDeadline, modelIds, parseJsonOrUndefined } from "../upstream/get.js";
import { UpstreamPools } from "../upstream/pools.js";
import { accessLogEnabled, decorateAccessLog, registerAccessLog } from "./access-log.js";
import { isLoopbackHost } from "./admin-guard.js";
import { decorateGatewayClient } from "./client-auth.js";
import { createClientErrorHandler } from "./client-error.js";
import { ClientKeys } from "./client-keys.js";
import { ConnectionDrain } from "./connection-drain.js";
import type { GatewayContext } from "./context.js";
import { decorateEndpoint } from "./endpoint.js";
import { sendError } from "./error-reply.js";
import { GatewayError } from "./errors.js";
import { HostedModels } from "./hosted-models.js";
import { registerJsonBodyParser } from "./json-body.js";
import { createLogger } from "./logger.js";
import { RegistrationSecrets } from "./registration-secrets.js";
import { ModelResolver } from "./resolve-model.js";
import { adminRoutes } from "./routes/admin.js";
import { anthropicRoutes } from "./routes/anthropic.js";
import { healthRoutes } from "./routes/health.js";
import { openAIRoutes } from "./routes/openai.js";
import { serviceStatusRoutes } from "./routes/service-status.js";
import { reloadKeyStates } from "./shared-keys.js";
import { joinSharedState } from "./shared-state.js";

/**
 * How long a kept-alive connection must have been idle before a draining gateway closes it: long
 * enough that a client in a request loop is not caught between two requests, short enough that a
 * rolling restart does not wait long on clients that keep idle connections open.
 */
const IDLE_CONNECTION_GRACE_MS = 1_000;

export interface Gateway {
  app: FastifyInstance;
  context: GatewayContext;
  /** Listens, runs the first health round and starts periodic checks; resolves to the bound URL. */
  start(): Promise<string>;
  close(): Promise<void>;
}

export function buildGateway(
  config: GatewayConfig,
  logger: Logger = createLogger(config.log_level),
): Gateway {
  const registry = new Registry({
    circuit: { threshold: config.circuit_breaker_threshold, openMs: config.circuit_breaker_ttl * 1000 },
    defaultMaxConnections: config.default_max_connections,
    maxConnectionsMap: config.max_connections_map,
  });
  const capacityQueue = new CapacityQueue(config.queue_size);
  for (const backend of config.backends) registry.add(backendId(backend), backend);
  const pools = new UpstreamPools({ connectTimeoutMs: config.connect_timeout * 1000 });
  const probe: ProbeFetch = async (backend: BackendState, path, timeoutMs) => {
    const { status, text } = await getWithDeadline(
      pools.for(backend.origin),
      backend.pathFor(path),
      timeoutMs,
    );
    return { status, json: parseJsonOrUndefined(text) };
  };
  const engineLoad = new EngineLoadScraper(
    registry,
    (backend, timeoutMs) =>
      getWithDeadline(pools.for(backend.origin), backend.pathFor("/metrics"), timeoutMs),
    sumByMetric,
    { intervalMs: config.load_interval * 1000, timeoutMs: config.health_timeout * 1000 },
  );
  const context: GatewayContext = {
    config,
    registry,
    strategies: StrategySet.fromConfig(config),
    pools,
    health: new HealthChecker(
      registry,
      probe,
      {
        intervalMs: config.health_interval * 1000,
        timeoutMs: config.health_timeout * 1000,
        healthyThreshold: config.healthy_threshold,
        unhealthyThreshold: config.unhealthy_threshold,
      },
      logger,
    ),
    models: new ModelResolver(registry, config),
    hostedModels: new HostedModels(
      registry,
      (backend, path, headers, timeoutMs) =>
        getWithDeadline(pools.for(backend.origin), path, timeoutMs, headers),
      { timeoutMs: config.health_timeout * 1000 },
    ),
    clientKeys: new ClientKeys(config.client_keys),
    capacityQueue,
    metrics: createGatewayMetrics(
      () => registry.list(),
      () => capacityQueue.length,
    ),
    logger,
    startedAt: Date.now(),
    state: new MemoryStore(),
    sharedState: false,
    registrationSecrets: new RegistrationSecrets(config.state_secret, config.redis !== undefined),
  };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.body_limit,
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
    // One pino child per request costs more than the rest of routing; log lines carry reqId explicitly.
    childLoggerFactory: (parent) => parent,
    // Draining (connection-drain.ts) serves what still arrives with Connection: close; a 503 would be a lost request.
    return503OnClosing: false,
    // A client must send its whole request within this time: slow senders cannot hold a slot. Node
    // checks these deadlines on an interval (30 s by default), too coarse for a short timeout.
    requestTimeout: Math.round(config.client_timeout * 1000),
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
  decorateAccessLog(app);
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
  app.register(healthRoutes(context));
  app.register(adminRoutes(context));
  app.register(serviceStatusRoutes(context));

  const discovery = new Discovery(
    {
      hosts: config.scan_hosts,
      ports: config.scan_ports,
      intervalMs: config.scan_interval * 1000,
      timeoutMs: config.health_timeout * 1000,
    },
    async (baseUrl, timeoutMs) => {
      // A throwaway connection: most scanned addresses are not backends and never will be.
      const client = new Client(baseUrl, { connect: { timeout: timeoutMs } });
      try {
        const { status, text } = await getWithDeadline(client, "/v1/models", timeoutMs);
        return status === 200 ? modelIds(parseJsonOrUndefined(text)) : undefined;
      } catch {
        return undefined;
      } finally {
        void client.destroy();
      }
    },
    {
      has: (id) => registry.get(id) !== undefined,
      register: async (id, backend) => {
        const state = registry.add(id, backend, "discovery");
        await context.health.probe(state);
        logger.info({ backend: id, models: state.models }, "backend discovered");
      },
    },
  );

  let leaveSharedState = () => {};
  let closing = false;
  let wasDegraded = false;
  const logStateError = (error: unknown) =>
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "shared state error");
  const adoptSharedState = async (store: StateStore) => {
    await context.state.close();
    context.state = store;
    context.sharedState = true;
    leaveSharedState = await joinSharedState(context, store);
  };
  // A `--workers` worker without Redis shares the store its primary holds (state/ipc-host.ts).
  const joinPrimaryState = async (port: IpcPort) => {
    const store = await IpcStore.connect({
      port,
      onError: logStateError,
      onStatusChange: (status) => {
        if (closing) return;
        if (status === "degraded") {
          logger.warn("primary not answering: serving from this worker's local view");
          return;
        }
        logger.info("primary answering again: shared state resynchronised");
        // Key states are not part of the store's resync: read what was missed meanwhile.
        void reloadKeyStates(context, context.state);
      },
    });
    await adoptSharedState(store);
  };
  const connectSharedState = async (url: string) => {
    const store = await RedisStore.connect({
      url,
      ...(config.redis_namespace ? { namespace: config.redis_namespace } : {}),
      onError: logStateError,
      onStatusChange: (status) => {
        if (closing) return;
        if (status === "degraded") {
          wasDegraded = true;
          logger.warn("Redis unreachable: serving from this replica's local view of the state");
        } else if (wasDegraded) {
          wasDegraded = false;
          logger.info("Redis reachable again: shared state resynchronised");
          // Key states are not part of the store's resync: read what was missed meanwhile.
          void reloadKeyStates(context, context.state);
        }
      },
    });
    await adoptSharedState(store);
    if (store.status() === "degraded") {
      wasDegraded = true;
      logger.warn({ url: redactUrl(url) }, "Redis not reachable yet: serving from this replica's local view");
    }
  };

  return {
    app,
    context,
    async start() {
      const primaryPort = config.redis ? undefined : primaryStatePort();
      if (config.redis) await connectSharedState(config.redis);
      else if (primaryPort) await joinPrimaryState(primaryPort);
      let address: string;
      try {
        address = await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        closing = true;
        leaveSharedState();
        await context.state.close();
        throw error;
      }
      if (config.max_client_connections > 0) app.server.maxConnections = config.max_client_connections;
      await Promise.all([context.health.start(), discovery.start()]);
      engineLoad.start();
      if (!config.admin_token && !isLoopbackHost(config.host)) {
        logger.warn(
          { host: config.host },
          "the gateway listens beyond loopback without an admin token: its admin routes answer 403 until SWITCHYARD_ADMIN_TOKEN is set",
        );
      }
      return address;
    },
    async close() {
      context.health.stop();
      discovery.stop();
      engineLoad.stop();
      // Stop accepting, let requests and streams in flight finish, but not past the deadline; no
      // request already on a kept-alive connection is refused (connection-drain.ts says how).
      await drain.drain({
        idleGraceMs: IDLE_CONNECTION_GRACE_MS,
        deadlineMs: context.config.shutdown_timeout * 1000,
      });
      await app.close();
      await pools.closeAll();
      closing = true;
      leaveSharedState();
      await context.state.close();
    },
  };
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

/** A Redis URL without its password, for logs. */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/** Request ids: a random prefix per process and a counter, unique without a random draw per request. */
const REQUEST_ID_PREFIX = randomBytes(6).toString("hex");
let requestCounter = 0;
function nextRequestId(): string {
  requestCounter++;
  return `${REQUEST_ID_PREFIX}-${requestCounter.toString(36)}`;
}
