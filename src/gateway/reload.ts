/**
 * Applies a new, already validated configuration to a running gateway without dropping anything:
 * config backends are diffed by id (added, removed, replaced when their settings changed, kept with
 * their live state otherwise), runtime and discovered backends are left alone, and the resolver and
 * strategies are rebuilt only when their settings changed. Requests in flight finish on the objects
 * they started with.
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { backendId } from "../config/load.js";
import type { GatewayConfig, GatewaySettingKey } from "../config/schema.js";
import { StrategySet } from "../routing/strategy-set.js";
import { ClientKeys } from "./client-keys.js";
import type { GatewayContext, ReloadSummary } from "./context.js";
import { checkReload } from "./reload-guard.js";

export type { ReloadSummary } from "./context.js";

import { ModelResolver } from "./resolve-model.js";

/**
 * Settings read only when the gateway starts: the server and what was built from them at start
 * (listening address and limits, logger, upstream pools, health checker, load scraper, discovery,
 * wait queue, shared state). A reload that changes one reports it in `needsRestart` and keeps the
 * running value. Everything else is read per request or rebuilt below.
 */
export const START_UP_SETTINGS = [
  "host",
  "port",
  "body_limit",
  "max_header_bytes",
  "max_url_bytes",
  "client_timeout",
  "max_client_connections",
  "send_timeout",
  "keep_alive_timeout",
  "max_connections_per_ip",
  "connect_timeout",
  "upstream_connections",
  "upstream_http2",
  "upstream_http2_streams",
  "backend_deny_ranges",
  "health_interval",
  "health_timeout",
  "unhealthy_threshold",
  "healthy_threshold",
  "load_interval",
  "scan_hosts",
  "scan_ports",
  "scan_interval",
  "queue_size",
  // The KV admission gates are built with these at start (kv_admission and capacities reload).
  "kv_admission_hold",
  "kv_admission_wait",
  "log_level",
  "access_log",
  "ledger",
  "ledger_dir",
  "database_url",
  "ledger_keep_text",
  "ledger_retention",
  "redis",
  "redis_namespace",
  "state_secret",
  "response_store_max_entries",
  "response_store_max_bytes",
  "response_store_max_entry_bytes",
  "response_store_ttl",
] as const satisfies readonly GatewaySettingKey[];

export async function applyConfig(ctx: GatewayContext, next: GatewayConfig): Promise<ReloadSummary> {
  const previous = ctx.config;
  checkReload(ctx.registry.list(), next);
  // Build what can fail first, so a bad strategy name leaves the gateway as it was.
  const strategies =
    previous.strategy === next.strategy &&
    isDeepStrictEqual(previous.model_strategies, next.model_strategies) &&
    previous.latency_decay === next.latency_decay &&
    previous.hash_ring_points === next.hash_ring_points &&
    previous.prefix_block_chars === next.prefix_block_chars &&
    previous.prefix_cache_blocks === next.prefix_cache_blocks &&
    previous.prefix_load_bound === next.prefix_load_bound
      ? ctx.strategies
      : StrategySet.fromConfig(next);

  ctx.registry.setOptions({
    circuit: { threshold: next.circuit_breaker_threshold, openMs: next.circuit_breaker_ttl * 1000 },
    defaultMaxConnections: next.default_max_connections,
    maxConnectionsMap: next.max_connections_map,
  });
  const summary: ReloadSummary = { added: [], removed: [], replaced: [], kept: [], needsRestart: [] };
  const wanted = new Map(next.backends.map((backend) => [backendId(backend), backend]));
  for (const backend of ctx.registry.list()) {
    if (backend.source === "config" && !wanted.has(backend.id)) {
      ctx.registry.remove(backend.id);
      ctx.strategies.forget(backend.id);
      ctx.slo.forget(backend.id);
      ctx.kvGates.forget(backend.id);
      summary.removed.push(backend.id);
      if (!ctx.registry.list().some((other) => other.origin === backend.origin))
        void ctx.pools.release(backend.origin);
    }
  }
  const probes: Promise<void>[] = [];
  for (const [id, config] of wanted) {
    const current = ctx.registry.get(id);
    if (current && isDeepStrictEqual(current.config, ctx.registry.effectiveConfig(id, config))) {
      summary.kept.push(id);
      continue;
    }
    const state = ctx.registry.add(id, config, "config");
    strategies.forget(id);
    (current ? summary.replaced : summary.added).push(id);
    probes.push(ctx.health.probe(state));
  }
  await Promise.all(probes);

  for (const key of START_UP_SETTINGS) {
    if (!isDeepStrictEqual(previous[key], next[key])) summary.needsRestart.push(key);
  }
  ctx.config = next;
  ctx.strategies = strategies;
  ctx.models = new ModelResolver(ctx.registry, next);
  ctx.clientKeys = new ClientKeys(next.client_keys);
  return summary;
}
