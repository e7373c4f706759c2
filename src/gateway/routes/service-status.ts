/**
 * The key-pool proxy's status views of the hosted services: `GET /` and `GET /stats` (key counts, endpoints,
 * per-key and per-endpoint request and error counts, cooldowns). Key values never appear: keys are
 * named by position and a short fingerprint. Behind `--workers`, `/stats` shows every worker's
 * counts merged (merge-figures.ts).
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { Registry } from "../../routing/registry.js";
import type { GatewayContext } from "../context.js";
import { localStats } from "../local-figures.js";
import { mergeStats, ownFiguresOnly } from "../merge-figures.js";

/** Keys configured and endpoints used per service, as the key-pool proxy's /health shows them. */
export function loadBalancerSummary(registry: Registry) {
  const summary = {
    openai_keys_configured: 0,
    anthropic_keys_configured: 0,
    endpoints: { openai: [] as string[], anthropic: [] as string[] },
  };
  for (const { pool, backends } of registry.keyPools()) {
    const kind = registry.get(backends[0]!)!.kind;
    summary[kind === "openai" ? "openai_keys_configured" : "anthropic_keys_configured"] += pool.size;
  }
  for (const backend of registry.list())
    if (backend.keyPool) summary.endpoints[backend.kind].push(backend.url);
  return summary;
}

export function serviceStatusRoutes(ctx: GatewayContext) {
  return async function serviceStatusRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.get("/", async () => ({
      status: "ok",
      service: "switchyard",
      version: process.env.npm_package_version ?? "0.1.0",
      uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000),
      backends: ctx.registry.list().length,
      load_balancer: loadBalancerSummary(ctx.registry),
    }));

    app.get("/stats", async () => {
      if (!ctx.workers) return localStats(ctx.registry);
      const gathered = await ctx.workers.gather("stats");
      return gathered ? mergeStats(gathered) : ownFiguresOnly(localStats(ctx.registry));
    });
  };
}
