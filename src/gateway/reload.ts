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
import type { GatewayConfig } from "../config/schema.js";
import { StrategySet } from "../routing/strategy-set.js";
import { ClientKeys } from "./client-keys.js";
import type { GatewayContext } from "./context.js";
import { ModelResolver } from "./resolve-model.js";

export interface ReloadSummary {
  added: string[];
  removed: string[];
  replaced: string[];
  kept: string[];
  /** Settings that only take effect after a restart (the listening address). */
  needsRestart: string[];
}

export async function applyConfig(ctx: GatewayContext, next: GatewayConfig): Promise<ReloadSummary> {
  const previous = ctx.config;
  // Build what can fail first, so a bad strategy name leaves the gateway as it was.
  const strategies =
    previous.strategy === next.strategy && isDeepStrictEqual(previous.model_strategies, next.model_strategies)
      ? ctx.strategies
      : new StrategySet(next.strategy, next.model_strategies);

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

  if (previous.host !== next.host) summary.needsRestart.push("host");
  if (previous.port !== next.port) summary.needsRestart.push("port");
  ctx.config = next;
  ctx.strategies = strategies;
  ctx.models = new ModelResolver(ctx.registry, next);
  ctx.clientKeys = new ClientKeys(next.client_keys);
  return summary;
}
