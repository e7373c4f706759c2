import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../src/bench/histogram.js";

describe("LatencyHistogram", () => {
  it("reports zeros when empty", () => {
    const histogram = new LatencyHistogram();
    expect(histogram.count).toBe(0);
    expect(histogram.percentileMs(99)).toBe(0);
    expect(histogram.summary()).toEqual({
      count: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
  });

  it("records milliseconds at microsecond resolution and reports percentiles in ms", () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) histogram.recordMs(i / 1000); // 1 µs … 1 ms
    const summary = histogram.summary();
    expect(summary.count).toBe(1000);
    expect(summary.min).toBeCloseTo(0.001, 6);
    expect(summary.max).toBeCloseTo(1, 2);
    expect(summary.p50).toBeCloseTo(0.5, 2);
    expect(summary.p99).toBeCloseTo(0.99, 2);
    expect(summary.mean).toBeCloseTo(0.5005, 2);
    expect(histogram.percentileMs(90)).toBeCloseTo(0.9, 2);
  });

  it("keeps three significant digits for large values", () => {
    const histogram = new LatencyHistogram();
    histogram.recordMs(12_345.678);
    expect(histogram.summary().max).toBeGreaterThan(12_330);
    expect(histogram.summary().max).toBeLessThan(12_360);
  });

  it("records negative durations as zero", () => {
    const histogram = new LatencyHistogram();
    histogram.recordMicros(-5);
    expect(histogram.count).toBe(1);
    expect(histogram.summary().max).toBe(0);
  });

  it("adds, resets, and serialises as its summary", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordMs(1);
    b.recordMs(3);
    a.add(b);
    expect(a.count).toBe(2);
    expect(JSON.parse(JSON.stringify(a))).toMatchObject({ count: 2 });
    a.reset();
    expect(a.count).toBe(0);
  });
});
