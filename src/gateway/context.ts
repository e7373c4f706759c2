/**
 * Everything a gateway route needs, built once per gateway and passed to each route plugin.
 * @module
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/schema.js";
import type { Ledger } from "../ledger/ledger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import type { ReasoningSealer } from "../protocol/responses/sealed-reasoning.js";
import type { CapacityQueue } from "../routing/capacity-queue.js";
import type { HealthChecker } from "../routing/health.js";
import type { KvGates } from "../routing/kv-gate.js";
import type { Registry } from "../routing/registry.js";
import type { SloAdmission } from "../routing/slo-admission.js";
import type { StrategySet } from "../routing/strategy-set.js";
import type { KeyStore } from "../state/key-store/key-store.js";
import type { Replication } from "../state/replication/replication.js";
import type { StateStore } from "../state/store.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { UpstreamPools } from "../upstream/pools.js";
import type { Budgets } from "../usage/budgets.js";
import type { WorkerFigures } from "../worker-figures/client.js";
import type { ClientKeys } from "./client-keys.js";
import type { HedgeDelays } from "./hedge-delay.js";
import type { HostedModels } from "./hosted-models.js";
import type { ModelResolver } from "./resolve-model.js";
import type { RouteDecisions } from "./route-decisions.js";
import type { StoredResponses } from "./stored-responses.js";

/** What a reload did, by backend id. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  replaced: string[];
  kept: string[];
  /** Changed settings that only take effect after a restart (`START_UP_SETTINGS` in reload.ts). */
  needsRestart: string[];
}

export interface GatewayContext {
  /** Replaced as a whole by a reload; read it per request, never keep a copy. */
  config: GatewayConfig;
  readonly registry: Registry;
  strategies: StrategySet;
  readonly pools: UpstreamPools;
  readonly health: HealthChecker;
  models: ModelResolver;
  /** What hosted services (key pools routed by model patterns) serve, for the model list. */
  readonly hostedModels: HostedModels;
  /** Gateway API keys; rebuilt by a reload. */
  clientKeys: ClientKeys;
  /**
   * Keys made at run time (`/admin/keys`): in memory until `start()` connects the Redis store
   * when `redis` is set, so every replica shares them.
   */
  runtimeKeys: KeyStore;
  /** Budget counters: in memory until `start()` connects the Redis store when `redis` is set. */
  budgets: Budgets;
  readonly capacityQueue: CapacityQueue;
  /** SLO admission and the per-backend TTFT estimates it reads (routing/slo-admission.ts). */
  readonly slo: SloAdmission;
  /** Per-engine KV admission queues (`kv_admission`, routing/kv-gate.ts); idle when it is off. */
  readonly kvGates: KvGates;
  /** Recent non-streamed answer times per model, which set the hedge delay (hedge-delay.ts). */
  readonly hedgeDelays: HedgeDelays;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly startedAt: number;
  /**
   * The store: a `MemoryStore` (client-key windows only) unless `redis` is set, then the
   * `RedisStore` connected by `start()`; in a `--workers` worker without Redis, the `IpcStore` that
   * shares its primary's store.
   */
  state: StateStore;
  /**
   * Keeps the local view (breakers, health, key pools, runtime registrations) in line with the
   * other replicas through `state`; a no-op `LocalReplication` in a single process.
   */
  replication: Replication;
  /**
   * Set in a `--workers` worker: gathers every worker's figures, so `/stats`, `/status` and
   * `/metrics` show the whole gateway rather than the worker that happened to answer.
   */
  workers?: WorkerFigures;
  /**
   * Responses kept for `previous_response_id` (`store: true`): in memory until `start()` puts the
   * store the settings call for in its place (Redis, or a `--workers` primary's).
   */
  responses: StoredResponses;
  /** Seals the reasoning a stateless Responses client carries between turns (reasoning-seal-key.ts). */
  readonly reasoningSealer: ReasoningSealer;
  /** Recent routing decisions, sampled while a console reads them (route-decisions.ts). */
  readonly decisions: RouteDecisions;
  /**
   * OpenTelemetry export (telemetry/), set by `start()` when the standard `OTEL_EXPORTER_OTLP_*`
   * variables ask for it; null otherwise, and then nothing of OpenTelemetry is loaded.
   */
  telemetry: Telemetry | null;
  /**
   * The request ledger (`ledger`, `database_url`): one row per answered inference request, written
   * in batches off the request path. Opened by `start()`; undefined while off.
   */
  ledger?: Ledger | undefined;
  /** Re-reads the configuration sources and applies them; set by the process that owns them. */
  reloadConfig?: () => Promise<ReloadSummary>;
}
