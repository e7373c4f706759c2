/**
 * The gateway's routing core, without HTTP: the registry of configured backends, the strategies,
 * upstream pools, health checks, engine-load scraping, discovery, the capacity queue and metrics,
 * gathered in the context every route reads. State starts local (a `MemoryStore`, no replication);
 * joining replication (join-replication.ts) replaces both when the gateway starts.
 * @module
 */

import type { Logger } from "pino";
import { Client } from "undici";
import { backendId } from "../config/load.js";
import type { GatewayConfig } from "../config/schema.js";
import { engineKvCapacityTokens } from "../metrics/engine-kv-capacity.js";
import { createGatewayMetrics } from "../metrics/metrics.js";
import { sumByMetric } from "../metrics/prometheus-text.js";
import { createReasoningSealer } from "../protocol/responses/sealed-reasoning.js";
import type { BackendState } from "../routing/backend.js";
import { CapacityQueue } from "../routing/capacity-queue.js";
import { Discovery } from "../routing/discovery.js";
import { EngineLoadScraper } from "../routing/engine-load.js";
import { HealthChecker, type ProbeFetch } from "../routing/health.js";
import { KvGates } from "../routing/kv-gate.js";
import { Registry } from "../routing/registry.js";
import { SloAdmission } from "../routing/slo-admission.js";
import { StrategySet } from "../routing/strategy-set.js";
import { MemoryBudgetStore } from "../state/budget-store/memory.js";
import { MemoryKeyStore } from "../state/key-store/memory.js";
import { MemoryStore } from "../state/memory.js";
import { LocalReplication } from "../state/replication/local.js";
import { responseStoreLimits } from "../state/response-store/factory.js";
import { MemoryResponseStore } from "../state/response-store/memory.js";
import { AddressPolicy } from "../upstream/address-policy.js";
import { getWithDeadline, modelIds, parseJsonOrUndefined } from "../upstream/get.js";
import { UpstreamPools } from "../upstream/pools.js";
import { Budgets } from "../usage/budgets.js";
import { ClientKeys } from "./client-keys.js";
import type { GatewayContext } from "./context.js";
import { HedgeDelays } from "./hedge-delay.js";
import { HostedModels } from "./hosted-models.js";
import { kvGateSettings } from "./kv-admission-step.js";
import { reasoningSealKey } from "./reasoning-seal-key.js";
import { ModelResolver } from "./resolve-model.js";
import { RouteDecisions } from "./route-decisions.js";
import { StoredResponses } from "./stored-responses.js";

export interface RoutingCore {
  context: GatewayContext;
  /** Started with the gateway, after the first health round. */
  engineLoad: EngineLoadScraper;
  discovery: Discovery;
}

export function buildRoutingCore(config: GatewayConfig, logger: Logger): RoutingCore {
  const pools = new UpstreamPools({
    connectTimeoutMs: config.connect_timeout * 1000,
    connections: config.upstream_connections,
    http2: config.upstream_http2,
    http2Streams: config.upstream_http2_streams,
    policy: new AddressPolicy(config.backend_deny_ranges),
  });
  const registry = new Registry({
    circuit: { threshold: config.circuit_breaker_threshold, openMs: config.circuit_breaker_ttl * 1000 },
    defaultMaxConnections: config.default_max_connections,
    maxConnectionsMap: config.max_connections_map,
    upstreamFigures: (origin) => pools.figures(origin),
  });
  const capacityQueue = new CapacityQueue(config.queue_size);
  for (const backend of config.backends) registry.add(backendId(backend), backend);
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
    {
      intervalMs: config.load_interval * 1000,
      timeoutMs: config.health_timeout * 1000,
      kvCapacity: engineKvCapacityTokens,
    },
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
    runtimeKeys: new MemoryKeyStore(),
    budgets: new Budgets(new MemoryBudgetStore()),
    capacityQueue,
    slo: new SloAdmission(capacityQueue),
    kvGates: new KvGates(kvGateSettings(config)),
    hedgeDelays: new HedgeDelays(),
    metrics: createGatewayMetrics(
      () => registry.list(),
      () => capacityQueue.length,
    ),
    logger,
    startedAt: Date.now(),
    state: new MemoryStore(),
    replication: new LocalReplication(),
    reasoningSealer: createReasoningSealer(reasoningSealKey(config.state_secret)),
    responses: new StoredResponses(new MemoryResponseStore(responseStoreLimits(config)), logger),
    telemetry: null,
    decisions: new RouteDecisions(),
  };

  const discovery = new Discovery(
    {
      hosts: config.scan_hosts,
      ports: config.scan_ports,
      intervalMs: config.scan_interval * 1000,
      timeoutMs: config.health_timeout * 1000,
    },
    async (baseUrl, timeoutMs) => {
      // A throwaway connection: most scanned addresses are not backends and never will be.
      const client = new Client(baseUrl, { connect: pools.policy.connector({ timeout: timeoutMs }) });
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
      refused: (id, reason) => logger.warn({ address: id, reason }, "discovery skips a refused address"),
    },
    pools.policy,
  );

  return { context, engineLoad, discovery };
}
