/**
 * Behind `--workers`, `/metrics` shows every worker's metrics as one gateway, with prom-client's
 * cluster aggregation (`AggregatorRegistry.aggregate`): each metric merges by its own aggregator,
 * so counters, in-flight gauges and histogram buckets are summed bucket by bucket (the request-path
 * metrics of fast-metrics.ts declare `sum`) and the process metrics merge as prom-client defines
 * them. prom-client's `clusterMetrics()` is not used: it asks workers over its own untagged
 * messages from the primary and fails the whole scrape when one worker is late, where here the
 * answering worker gathers through the primary (worker-figures/relay.ts) and a late worker is
 * only left out, which `switchyard_workers{state="unanswered"}` shows.
 * @module
 */
import { AggregatorRegistry, Gauge } from "prom-client";
import type { Gathered, WorkerReport } from "../worker-figures/messages.js";
import { PER_WORKER_METRICS } from "./metrics.js";

/** A metric as `Registry.getMetricsAsJSON()` gives it, as far as merging needs. */
interface MetricJson {
  name: string;
  values: { labels: Record<string, string | number> }[];
}

/** The Prometheus text of every worker's metrics merged. */
export async function mergeWorkerMetrics(gathered: Gathered): Promise<string> {
  const registry = AggregatorRegistry.aggregate(gathered.reports.map(labelPerWorkerMetrics));
  const workers = new Gauge({
    name: "switchyard_workers",
    help: "Workers whose metrics this scrape includes (answered) or misses (did not answer in time)",
    labelNames: ["state"],
    registers: [registry],
  });
  workers.set({ state: "answered" }, gathered.reports.length);
  workers.set({ state: "unanswered" }, gathered.unanswered.length);
  return registry.metrics();
}

/**
 * A worker's metrics with a `worker` label on those whose sum means nothing (whether a backend is
 * up, a circuit's state): they stay one series per worker slot.
 */
function labelPerWorkerMetrics(report: WorkerReport): MetricJson[] {
  const metrics = report.figures as MetricJson[];
  return metrics.map((metric) =>
    PER_WORKER_METRICS.has(metric.name)
      ? {
          ...metric,
          values: metric.values.map((value) => ({
            ...value,
            labels: { ...value.labels, worker: String(report.worker) },
          })),
        }
      : metric,
  );
}
