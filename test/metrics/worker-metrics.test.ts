/**
 * `/metrics` across `--workers` workers: counters and histogram buckets summed series by series,
 * gauges whose sum means nothing kept per worker, and the workers answered and missing counted.
 */
import { describe, expect, it } from "vitest";
import { type BackendGaugeSource, createGatewayMetrics } from "../../src/metrics/metrics.js";
import { mergeWorkerMetrics } from "../../src/metrics/worker-metrics.js";
import type { WorkerReport } from "../../src/worker-figures/messages.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

function workerMetrics(inflight: number, healthy: boolean) {
  const backend: BackendGaugeSource = {
    id: "a",
    inflight,
    healthy,
    circuit: { state: "closed" },
    ejected: false,
    upstream: { queued: 0, connected: 0 },
  };
  return createGatewayMetrics(() => [backend]);
}

async function report(worker: number, metrics: ReturnType<typeof workerMetrics>): Promise<WorkerReport> {
  // As over IPC: the worker's metrics cross as JSON.
  const figures = JSON.parse(JSON.stringify(await metrics.registry.getMetricsAsJSON())) as unknown;
  return { worker, pid: 1000 + worker, requests: 0, inflight: 0, figures };
}

describe("mergeWorkerMetrics", () => {
  it("sums counters, in-flight gauges and histogram buckets, and keeps backend_up per worker", async () => {
    const first = workerMetrics(2, true);
    const second = workerMetrics(1, false);
    first.requests.inc(3, "chat", "m", "a", "200");
    second.requests.inc(4, "chat", "m", "a", "200");
    second.requests.inc(1, "chat", "m", "a", "502");
    for (const seconds of [0.004, 0.2]) first.requestDuration.observe(seconds, "chat", "m");
    for (const seconds of [0.2, 7]) second.requestDuration.observe(seconds, "chat", "m");

    const samples = parsePrometheusText(
      await mergeWorkerMetrics({
        reports: [await report(1, first), await report(2, second)],
        unanswered: [{ worker: 3, pid: 1003 }],
        deadlineMs: 1000,
      }),
    );
    expect(sumSamples(samples, "switchyard_requests_total", { status: "200" })).toBe(7);
    expect(sumSamples(samples, "switchyard_requests_total", { status: "502" })).toBe(1);
    expect(sumSamples(samples, "switchyard_backend_inflight", { backend: "a" })).toBe(3);
    const bucket = (le: string) => sumSamples(samples, "switchyard_request_duration_seconds_bucket", { le });
    expect(bucket("0.005")).toBe(1);
    expect(bucket("0.25")).toBe(3);
    expect(bucket("+Inf")).toBe(4);
    expect(sumSamples(samples, "switchyard_request_duration_seconds_count")).toBe(4);
    expect(sumSamples(samples, "switchyard_request_duration_seconds_sum")).toBeCloseTo(7.404);
    const up = samples.filter((sample) => sample.name === "switchyard_backend_up");
    expect(up.map(({ labels, value }) => [labels.worker, value])).toEqual([
      ["1", 1],
      ["2", 0],
    ]);
    expect(sumSamples(samples, "switchyard_workers", { state: "answered" })).toBe(2);
    expect(sumSamples(samples, "switchyard_workers", { state: "unanswered" })).toBe(1);
  });
});
