/**
 * Operator views: `/health` (summary; 503 when no backend is healthy, so it can gate readiness),
 * `/status` (every backend in detail) and `/metrics` (Prometheus text). Behind `--workers`,
 * `/status` and `/metrics` show every worker's figures merged (merge-figures.ts, worker-metrics.ts).
 * @module
 */
import type { FastifyInstance } from "fastify";
import { mergeWorkerMetrics } from "../../metrics/worker-metrics.js";
import type { GatewayContext } from "../context.js";
import { GatewayError } from "../errors.js";
import { localStatus } from "../local-figures.js";
import { mergeStatus, ownFiguresOnly } from "../merge-figures.js";
import { loadBalancerSummary } from "./service-status.js";

export function healthRoutes(ctx: GatewayContext) {
  return async function healthRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.get("/health", async (_request, reply) => {
      const backends = ctx.registry.list();
      const healthy = backends.filter(
        (backend) => backend.healthy && (backend.models.length > 0 || backend.modelPatterns.length > 0),
      ).length;
      const status = healthy === 0 ? "unhealthy" : healthy < backends.length ? "degraded" : "healthy";
      reply.code(healthy === 0 ? 503 : 200);
      return {
        status,
        timestamp: Math.floor(Date.now() / 1000),
        uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000),
        backends: { total: backends.length, healthy },
        state: ctx.replication.view(),
        models: ctx.registry.models(),
        load_balancer: loadBalancerSummary(ctx.registry),
      };
    });

    // The two-model router's views: health of one model (its name URL-encoded) and of every model.
    app.get("/health/all", async () => ({
      models: Object.fromEntries(ctx.registry.models().map((model) => [model, modelHealth(ctx, model)])),
    }));

    app.get<{ Params: { "*": string } }>("/health/*", async (request, reply) => {
      const model = request.params["*"];
      if (ctx.registry.serving(model).length === 0) {
        throw new GatewayError("SWY_ERR_MODEL_NOT_FOUND", `No backend serves the model '${model}'.`, {
          param: "model",
        });
      }
      const health = modelHealth(ctx, model);
      reply.code(health.status === "unhealthy" ? 503 : 200);
      return { model, ...health };
    });

    app.get("/models", async () => ({
      object: "list",
      data: ctx.registry.models().map((model) => ({ id: model, ...modelHealth(ctx, model) })),
    }));

    app.get("/status", async () => {
      if (!ctx.workers) return localStatus(ctx);
      const gathered = await ctx.workers.gather("status");
      return gathered ? mergeStatus(gathered) : ownFiguresOnly(localStatus(ctx));
    });

    app.get("/metrics", async (_request, reply) => {
      reply.type(ctx.metrics.registry.contentType);
      const gathered = await ctx.workers?.gather("metrics");
      return gathered ? mergeWorkerMetrics(gathered) : ctx.metrics.registry.metrics();
    });
  };
}

function modelHealth(ctx: GatewayContext, model: string) {
  const backends = ctx.registry.serving(model);
  const healthy = backends.filter((backend) => backend.healthy && backend.circuit.canAttempt());
  return {
    status: healthy.length === 0 ? "unhealthy" : healthy.length < backends.length ? "degraded" : "healthy",
    healthy_backends: healthy.length,
    total_backends: backends.length,
    backends: backends.map((backend) => ({
      name: backend.id,
      healthy: backend.healthy,
      circuit: backend.circuit.state,
    })),
  };
}
