/**
 * Builds a gateway from three parts: the routing core (routing-core.ts), the HTTP app
 * (http-app.ts) and, when it starts, replication with other replicas (join-replication.ts).
 * `start` also listens and starts probing.
 * @module
 */

import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/schema.js";
import { IpcBudgetStore } from "../state/budget-store/ipc.js";
import { IpcKeyStore } from "../state/key-store/ipc.js";
import { createResponseStore } from "../state/response-store/factory.js";
import { primaryUsagePort } from "../state/usage-host.js";
import { startTelemetry } from "../telemetry/telemetry.js";
import { Budgets } from "../usage/budgets.js";
import { isLoopbackHost } from "./admin-guard.js";
import type { GatewayContext } from "./context.js";
import { buildHttpApp } from "./http-app.js";
import { joinReplication, type LeaveReplication } from "./join-replication.js";
import { createLogger } from "./logger.js";
import { openRequestLedger } from "./request-ledger.js";
import { buildRoutingCore } from "./routing-core.js";
import { StoredResponses } from "./stored-responses.js";

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

export interface GatewayOptions {
  /** Where the OpenTelemetry variables are read (telemetry/telemetry.ts); the process's by default. */
  env?: NodeJS.ProcessEnv;
}

export function buildGateway(
  config: GatewayConfig,
  logger: Logger = createLogger(config.log_level),
  options: GatewayOptions = {},
): Gateway {
  const { context, engineLoad, discovery } = buildRoutingCore(config, logger);
  const { app, drain } = buildHttpApp(context);
  // Until start joins replication, only the local store is there to close.
  let leaveReplication: LeaveReplication = () => context.state.close();

  return {
    app,
    context,
    async start() {
      context.telemetry = await startTelemetry(
        options.env ?? process.env,
        process.env.npm_package_version ?? "0.1.0",
      );
      if (context.telemetry) logger.info("OpenTelemetry export on (OTEL_EXPORTER_OTLP_*)");
      leaveReplication = await joinReplication(context);
      await context.responses.store.close();
      context.responses = new StoredResponses(
        await createResponseStore(config, {
          onError: (error) => logger.warn({ err: error }, "response store: connection trouble"),
        }),
        logger,
      );
      await connectUsageStores(context, config, logger);
      let address: string;
      try {
        context.ledger = await openRequestLedger(config, context.metrics, logger);
        address = await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        await context.ledger?.close();
        await leaveReplication();
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
      // Every answer is counted by now: the rows still buffered are written before the database closes.
      await context.ledger?.close();
      await context.pools.closeAll();
      await leaveReplication();
      await context.responses.store.close();
      await context.telemetry?.shutdown();
      context.telemetry = null;
      await Promise.all([context.runtimeKeys.close(), context.budgets.store.close()]);
    },
  };
}

/**
 * With `redis`, runtime keys and budget counters are shared by every replica through it; without
 * it, a `--workers` worker shares its primary's; a lone process keeps its own in memory.
 */
async function connectUsageStores(
  context: GatewayContext,
  config: GatewayConfig,
  logger: Logger,
): Promise<void> {
  if (!config.redis) {
    const port = primaryUsagePort();
    if (!port) return;
    context.runtimeKeys = await IpcKeyStore.connect({
      port,
      onError: (error) => logger.warn({ err: error }, "runtime keys: the primary did not answer"),
    });
    context.budgets = new Budgets(
      new IpcBudgetStore({
        port,
        onError: (error) =>
          logger.warn({ err: error }, "budgets: the primary did not answer; counting in this process"),
      }),
    );
    return;
  }
  // Loaded only with Redis: node-redis is most of a gateway's start-up time.
  const [{ RedisKeyStore }, { RedisBudgetStore }] = await Promise.all([
    import("../state/key-store/redis.js"),
    import("../state/budget-store/redis.js"),
  ]);
  const shared = {
    url: config.redis,
    ...(config.redis_namespace ? { namespace: config.redis_namespace } : {}),
  };
  const [keys, budgets] = await Promise.all([
    RedisKeyStore.connect({
      ...shared,
      onError: (error) => logger.warn({ err: error }, "runtime keys: Redis trouble"),
    }),
    RedisBudgetStore.connect({
      ...shared,
      onError: (error) => logger.warn({ err: error }, "budgets: Redis trouble; counting in this process"),
    }),
  ]);
  context.runtimeKeys = keys;
  context.budgets = new Budgets(budgets);
}
