/**
 * The data behind the report's distribution charts, read from HDR histograms (never from raw
 * samples): a CDF sampled on a percentile grid that is denser in the tail, and equal-width bins for
 * a histogram with the far tail gathered into one overflow count.
 * @module
 */
import type { LatencyHistogram } from "../histogram.js";

/** One point of a cumulative distribution: `fraction` of values are ≤ `ms`. */
export interface CdfPoint {
  ms: number;
  fraction: number;
}

export interface HistogramBin {
  fromMs: number;
  toMs: number;
  count: number;
}

export interface BinnedDistribution {
  bins: HistogramBin[];
  /** Values above the last bin (beyond the 99.5th percentile), gathered so the bins stay readable. */
  overflow: { fromMs: number; count: number };
}

function percentileGrid(): number[] {
  const grid: number[] = [];
  for (let p = 0; p < 90; p += 1) grid.push(p);
  for (let p = 90; p < 99; p += 0.25) grid.push(p);
  for (let p = 99; p < 99.9; p += 0.1) grid.push(Math.round(p * 10) / 10);
  grid.push(99.9, 99.95, 99.99, 100);
  return grid;
}

const GRID = percentileGrid();

/** The CDF at about 130 percentiles, denser above p90 where latency stories are told. */
export function cdfPoints(histogram: LatencyHistogram): CdfPoint[] {
  if (histogram.count === 0) return [];
  return GRID.map((percentile) => ({
    ms: round(histogram.percentileMs(percentile)),
    fraction: percentile / 100,
  }));
}

/** The smallest of 1, 2, 2.5 and 5 times a power of ten that is ≥ `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= raw - 1e-12) return factor * power;
  return 10 * power;
}

/** About `target` equal bins from the minimum to the 99.5th percentile, on round boundaries. */
export function histogramBins(histogram: LatencyHistogram, target = 30): BinnedDistribution {
  const values = histogram.recordedValues();
  const first = values[0];
  if (!first) return { bins: [], overflow: { fromMs: 0, count: 0 } };
  const high = histogram.percentileMs(99.5);
  const step = niceStep(Math.max(high - first.ms, 1e-3) / target);
  const low = Math.floor(first.ms / step) * step;
  const count = Math.max(1, Math.floor((high - low) / step) + 1);
  const bins: HistogramBin[] = [];
  for (let i = 0; i < count; i++)
    bins.push({ fromMs: round(low + i * step), toMs: round(low + (i + 1) * step), count: 0 });
  const limit = low + count * step;
  let overflow = 0;
  for (const { ms, count: n } of values) {
    if (ms >= limit) overflow += n;
    else bins[Math.min(count - 1, Math.floor((ms - low) / step))]!.count += n;
  }
  return { bins, overflow: { fromMs: round(limit), count: overflow } };
}

/** Microsecond precision is all the data has; shorter numbers keep report.json small. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
