/**
 * What a `--workers` worker reports about itself when another worker gathers the figures of
 * `/stats`, `/status` or `/metrics`: the endpoint's answer as this worker alone would give it, and
 * its request totals. Computed only when asked.
 * @module
 */
import type { FiguresReporter } from "../worker-figures/client.js";
import type { GatewayContext } from "./context.js";
import { localStats, localStatus } from "./local-figures.js";

export function ownFigures(ctx: GatewayContext): FiguresReporter {
  return async (of) => {
    let requests = 0;
    let inflight = 0;
    for (const backend of ctx.registry.list()) {
      requests += backend.requests;
      inflight += backend.inflight;
    }
    const figures =
      of === "stats"
        ? localStats(ctx.registry)
        : of === "status"
          ? localStatus(ctx)
          : await ctx.metrics.registry.getMetricsAsJSON();
    return { requests, inflight, figures };
  };
}
