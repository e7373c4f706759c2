import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FastCounter, FastHistogram } from "../../src/metrics/fast-metrics.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

describe("fast metrics", () => {
  it("render through prom-client's registry as counters and cumulative histograms", async () => {
    const registry = new Registry();
    const counter = new FastCounter("test_requests_total", "Requests", ["route", "status"], registry);
    const histogram = new FastHistogram("test_latency_seconds", "Latency", ["route"], [0.1, 1], registry);
    counter.inc(1, "chat", "200");
    counter.inc(2, "chat", "200");
    counter.series("chat", "502").value += 1;
    for (const value of [0.05, 0.5, 0.5, 5]) histogram.observe(value, "chat");

    const text = await registry.metrics();
    expect(text).toContain("# TYPE test_requests_total counter");
    expect(text).toContain("# TYPE test_latency_seconds histogram");
    const samples = parsePrometheusText(text);
    expect(sumSamples(samples, "test_requests_total", { status: "200" })).toBe(3);
    expect(sumSamples(samples, "test_requests_total", { status: "502" })).toBe(1);
    expect(sumSamples(samples, "test_latency_seconds_bucket", { le: "0.1" })).toBe(1);
    expect(sumSamples(samples, "test_latency_seconds_bucket", { le: "1" })).toBe(3);
    expect(sumSamples(samples, "test_latency_seconds_bucket", { le: "+Inf" })).toBe(4);
    expect(sumSamples(samples, "test_latency_seconds_count")).toBe(4);
    expect(sumSamples(samples, "test_latency_seconds_sum")).toBeCloseTo(6.05);
  });

  it("keeps one series per combination of values, whatever the values hold, in the order first used", async () => {
    const registry = new Registry();
    const counter = new FastCounter("test_pairs_total", "Pairs", ["a", "b"], registry);
    counter.inc(1, "x\u0000y", "z");
    counter.inc(2, "x", "y\u0000z");
    counter.inc(4, "x", "y\u0000z");
    counter.inc(8, "", "");
    const { values } = await counter.get();
    expect(values).toEqual([
      { value: 1, labels: { a: "x\u0000y", b: "z" } },
      { value: 6, labels: { a: "x", b: "y\u0000z" } },
      { value: 8, labels: { a: "", b: "" } },
    ]);
  });
});
