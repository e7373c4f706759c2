/**
 * Latency histograms for the load generator: a thin wrapper over hdr-histogram-js.
 * Values are recorded in whole microseconds and reported in milliseconds.
 *
 * The JS implementation is used, not the WebAssembly one: recording costs about 100 ns in JS
 * against about 20 ns in WASM, which is noise next to an HTTP request, and the JS histogram needs
 * no async start-up and no explicit `destroy()`.
 * @module
 */
import { build, type Histogram, JsHistogram } from "hdr-histogram-js";

/** The figures a report prints for one histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One bucket of the recorded distribution: every value up to `ms` (at the histogram's resolution). */
export interface RecordedValue {
  ms: number;
  count: number;
}

/** One hour in microseconds: the largest value tracked before auto-resizing kicks in. */
const HIGHEST_TRACKABLE_MICROS = 3_600_000_000;

/**
 * A microsecond-resolution latency histogram (3 significant digits, so ±0.1 % per value).
 * `JSON.stringify` writes its summary. Nothing in it is specific to time: the bench also records
 * rates (tokens per second) with `recordMs`, and reads them back in the same unit.
 */
export class LatencyHistogram {
  readonly #histogram: Histogram;

  constructor() {
    this.#histogram = build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_TRACKABLE_MICROS,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  /** Records one duration given in milliseconds (a `performance.now()` difference). */
  recordMs(milliseconds: number): void {
    this.recordMicros(milliseconds * 1000);
  }

  /** Records one duration in microseconds; negative values (clock skew) are recorded as 0. */
  recordMicros(microseconds: number): void {
    this.#histogram.recordValue(microseconds > 0 ? Math.round(microseconds) : 0);
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  /** The value at `percentile` (0–100) in milliseconds; 0 when nothing was recorded. */
  percentileMs(percentile: number): number {
    if (this.count === 0) return 0;
    return this.#histogram.getValueAtPercentile(percentile) / 1000;
  }

  /**
   * The recorded distribution, ascending: each distinct value (its bucket's highest equivalent, in ms)
   * with its count. What charts are drawn from; at most a few thousand entries whatever the count.
   */
  recordedValues(): RecordedValue[] {
    const histogram = this.#histogram;
    if (!(histogram instanceof JsHistogram) || histogram.totalCount === 0) return [];
    const values: RecordedValue[] = [];
    const iterator = histogram.recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      values.push({ ms: step.valueIteratedTo / 1000, count: step.countAtValueIteratedTo });
    }
    return values;
  }

  /** Adds every value recorded in `other` to this histogram. */
  add(other: LatencyHistogram): void {
    this.#histogram.add(other.#histogram);
  }

  reset(): void {
    this.#histogram.reset();
  }

  summary(): LatencySummary {
    const h = this.#histogram;
    if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: h.totalCount,
      min: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue / 1000,
      mean: h.mean / 1000,
      p50: h.getValueAtPercentile(50) / 1000,
      p90: h.getValueAtPercentile(90) / 1000,
      p99: h.getValueAtPercentile(99) / 1000,
      p999: h.getValueAtPercentile(99.9) / 1000,
      max: h.maxValue / 1000,
    };
  }

  toJSON(): LatencySummary {
    return this.summary();
  }
}
