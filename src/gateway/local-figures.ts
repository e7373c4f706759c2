/**
 * `/status` and `/stats` as this process alone sees them. The routes answer with these, and behind
 * `--workers` each worker reports them for `merge-figures.ts` to combine.
 * @module
 */
import type { BackendKind } from "../routing/backend.js";
import type { Registry } from "../routing/registry.js";
import type { GatewayContext } from "./context.js";

/** `/status` as this process alone sees it. */
export function localStatus(ctx: GatewayContext) {
  const backends = ctx.registry.list();
  return {
    strategy: ctx.strategies.default.name,
    model_strategies: ctx.strategies.describe().models,
    uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000),
    health_interval_s: ctx.config.health_interval,
    total_inflight: backends.reduce((sum, backend) => sum + backend.inflight, 0),
    backends: backends.map((backend) => backend.snapshot()),
    models: Object.fromEntries(
      ctx.registry.models().map((model) => [model, ctx.registry.serving(model).map((backend) => backend.id)]),
    ),
    slo: {
      ttft_slo_s: ctx.config.ttft_slo,
      model_ttft_slos: ctx.config.model_ttft_slos,
      ttft_estimates: ctx.slo.snapshot(),
    },
    kv_admission: { enabled: ctx.config.kv_admission, gates: ctx.kvGates.snapshot() },
  };
}

export type StatusView = ReturnType<typeof localStatus>;

export type ServiceStats = ReturnType<typeof serviceStats>;

function serviceStats(registry: Registry, kind: BackendKind) {
  const backends = registry.list().filter((backend) => backend.kind === kind && backend.keyPool);
  const pools = registry.keyPools().filter(({ backends: users }) => registry.get(users[0]!)?.kind === kind);
  return {
    keys_count: pools.reduce((sum, { pool }) => sum + pool.size, 0),
    endpoints: backends.map((backend) => backend.url),
    keys: pools.flatMap(({ pool }) => pool.views()),
    endpoint_stats: backends.map((backend) => ({
      name: backend.id,
      url: backend.url,
      requests: backend.requests,
      failures: backend.failures,
      inflight: backend.inflight,
      circuit: backend.circuit.state,
      last_error: backend.lastError ?? null,
    })),
  };
}

/** `/stats` as this process alone sees it. */
export function localStats(registry: Registry) {
  return {
    load_balancer_stats: {
      openai: serviceStats(registry, "openai"),
      anthropic: serviceStats(registry, "anthropic"),
    },
  };
}

export type StatsView = ReturnType<typeof localStats>;
