/**
 * Everything a gateway route needs, built once per gateway and passed to each route plugin.
 * @module
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/schema.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import type { CapacityQueue } from "../routing/capacity-queue.js";
import type { HealthChecker } from "../routing/health.js";
import type { Registry } from "../routing/registry.js";
import type { StrategySet } from "../routing/strategy-set.js";
import type { UpstreamPools } from "../upstream/pools.js";
import type { ModelResolver } from "./resolve-model.js";

export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly registry: Registry;
  readonly strategies: StrategySet;
  readonly pools: UpstreamPools;
  readonly health: HealthChecker;
  readonly models: ModelResolver;
  readonly capacityQueue: CapacityQueue;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly startedAt: number;
}
