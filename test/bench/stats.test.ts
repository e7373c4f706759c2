import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../src/bench/histogram.js";
import { cdfPoints, histogramBins, niceStep } from "../../src/bench/stats/chart-data.js";
import { GroupStats, meetsSlo } from "../../src/bench/stats/group-stats.js";
import { Timeline } from "../../src/bench/stats/timeline.js";
import { filledStats, sample } from "./fixtures.js";

describe("GroupStats", () => {
  it("counts successes, failures by kind, status and code, and goodput against the SLO", () => {
    const group = new GroupStats({ ttftMs: 50, latencyMs: 150 });
    group.record(sample({ ttftMs: 20, latencyMs: 100 }));
    group.record(sample({ ttftMs: 60, latencyMs: 100 }));
    group.record(sample({ ttftMs: 20, latencyMs: 200 }));
    group.record(sample({ ok: false, error: { kind: "status", status: 429 } }));
    group.record(sample({ ok: false, error: { kind: "connect", code: "ECONNREFUSED" } }));
    const summary = group.summary(1000);
    expect(summary.requests).toEqual({ sent: 5, ok: 3, failed: 2, good: 1 });
    expect(summary.goodputRatio).toBeCloseTo(0.2);
    expect(summary.throughput.requestsPerS).toBe(3);
    expect(summary.throughput.goodputPerS).toBe(1);
    expect(summary.throughput.outputTokensPerS).toBe(15);
    expect(summary.errors).toEqual({
      total: 2,
      byKind: { status: 1, connect: 1 },
      byStatus: { "429": 1 },
      byCode: { ECONNREFUSED: 1 },
    });
    expect(summary.ttftMs.count).toBe(3);
    expect(summary.interTokenMs.count).toBe(12);
    expect(summary.interTokenMs.p50).toBeCloseTo(5, 1);
    expect(summary.tokensPerSecondPerRequest.p50).toBeCloseTo(50, 0);
  });

  it("judges the SLO with the whole latency when there is no TTFT (no stream)", () => {
    expect(meetsSlo(sample({ ttftMs: undefined, latencyMs: 40 }), { ttftMs: 50 })).toBe(true);
    expect(meetsSlo(sample({ ttftMs: undefined, latencyMs: 80 }), { ttftMs: 50 })).toBe(false);
    expect(meetsSlo(sample({ ok: false }), {})).toBe(false);
    expect(meetsSlo(sample(), {})).toBe(true);
  });
});

describe("BenchStats", () => {
  it("aggregates per model and per backend and keeps failures that reached no backend out of the backends", () => {
    const stats = filledStats();
    expect(stats.overall.sent).toBe(203);
    expect(stats.models.get("llama")!.ok).toBe(100);
    expect(stats.models.get("qwen")!.errors.total).toBe(3);
    expect([...stats.backends.keys()].sort()).toEqual(["mock-1", "mock-2"]);
    expect(Object.fromEntries(stats.routing.get("qwen")!)).toEqual({ "mock-1": 50, "mock-2": 52 });
    // The slower model's TTFT percentiles are about twice the faster one's.
    const llama = stats.models.get("llama")!.ttft.percentileMs(50);
    const qwen = stats.models.get("qwen")!.ttft.percentileMs(50);
    expect(qwen / llama).toBeGreaterThan(1.8);
  });
});

describe("Timeline", () => {
  it("buckets completions per second and spreads tokens over the streaming time", () => {
    const timeline = new Timeline(1000);
    timeline.record(500, true, 10);
    timeline.record(2500, true, 30, 500); // tokens from 0.5 s to 2.5 s: 7.5 + 15 + 7.5
    timeline.record(2600, false, 0);
    const buckets = timeline.buckets(3000);
    expect(buckets.map((b) => b.ok)).toEqual([1, 0, 1]);
    expect(buckets.map((b) => b.failed)).toEqual([0, 0, 1]);
    expect(buckets.map((b) => b.outputTokens)).toEqual([17.5, 15, 7.5]);
    expect(buckets.map((b) => b.seconds)).toEqual([1, 1, 1]);
    expect(timeline.buckets(2200).at(-1)!.seconds).toBeCloseTo(0.2);
  });

  it("gives recent rates over whole buckets and a history for the sparkline", () => {
    const timeline = new Timeline(1000);
    for (let ms = 0; ms < 4000; ms += 100) timeline.record(ms, true, 2);
    expect(timeline.rate(4500, 3000)).toEqual({ requests: 10, outputTokens: 20 });
    expect(timeline.rate(0, 3000)).toEqual({ requests: 0, outputTokens: 0 });
    expect(timeline.recentTokenRates(4500, 6)).toEqual([20, 20, 20, 20]);
  });
});

describe("chart data", () => {
  it("samples a CDF from the histogram, denser in the tail, ending at the maximum", () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) histogram.recordMs(i);
    const points = cdfPoints(histogram);
    expect(points.length).toBeGreaterThan(100);
    expect(points[0]).toEqual({ ms: 1, fraction: 0 });
    expect(points.at(-1)!.fraction).toBe(1);
    expect(points.at(-1)!.ms).toBeCloseTo(1000, -1);
    const median = points.find((point) => point.fraction === 0.5)!;
    expect(median.ms).toBeCloseTo(500, -1);
    for (let i = 1; i < points.length; i++) expect(points[i]!.ms).toBeGreaterThanOrEqual(points[i - 1]!.ms);
    expect(cdfPoints(new LatencyHistogram())).toEqual([]);
  });

  it("bins on round boundaries and gathers the far tail into an overflow count", () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) histogram.recordMs(50 + (i % 10));
    for (let i = 0; i < 3; i++) histogram.recordMs(5000);
    const { bins, overflow } = histogramBins(histogram, 10);
    const total = bins.reduce((sum, bin) => sum + bin.count, 0);
    expect(total + overflow.count).toBe(1003);
    expect(overflow.count).toBe(3);
    expect(bins[0]!.fromMs).toBeLessThanOrEqual(50);
    const width = bins[0]!.toMs - bins[0]!.fromMs;
    expect([1, 2, 2.5, 5]).toContain(width);
    expect(histogramBins(new LatencyHistogram())).toEqual({ bins: [], overflow: { fromMs: 0, count: 0 } });
  });

  it("picks round steps", () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(1.2)).toBe(2);
    expect(niceStep(2.2)).toBe(2.5);
    expect(niceStep(31)).toBe(50);
    expect(niceStep(0)).toBe(1);
  });
});
