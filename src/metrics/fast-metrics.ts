/**
 * Counters and histograms for the request path. prom-client hashes the label object on every
 * `inc`/`observe`; these keep one series object per label combination, so a hot-path update is a
 * map lookup and an add. They render through prom-client's registry like its own metrics.
 * @module
 */
import type { Metric, Registry } from "prom-client";

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface MetricSnapshot {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  values: Sample[];
}

/** Series keyed by their label values, one level of maps per label; a leaf holds the entry. */
type SeriesTree<Series> = Map<string, SeriesTree<Series> | SeriesEntry<Series>>;

interface SeriesEntry<Series> {
  labels: Record<string, string>;
  series: Series;
}

abstract class FastMetric<Series> {
  /**
   * One map per label rather than one keyed by the values joined: a lookup then hashes strings the
   * request path already holds (a backend id, a model), whose hashes V8 keeps, instead of building
   * and hashing a new key on every update.
   */
  readonly #tree: SeriesTree<Series> = new Map();
  /** Every series, in the order first used (the exposition's order). */
  readonly #entries: SeriesEntry<Series>[] = [];
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: "counter" | "histogram";
  readonly aggregator = "sum";

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract create(): Series;
  protected abstract samples(labels: Record<string, string>, series: Series): Sample[];

  /** The series for these label values (in `labelNames` order), created on first use. */
  series(...values: string[]): Series {
    return this.seriesOf(values);
  }

  /** `series` for values already in an array: an update hands its rest parameter on without a copy. */
  protected seriesOf(values: readonly string[]): Series {
    const last = this.labelNames.length - 1;
    let level = this.#tree;
    for (let index = 0; index < last; index++) {
      const value = values[index] ?? "";
      let next = level.get(value) as SeriesTree<Series> | undefined;
      if (!next) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const leaf = values[last] ?? "";
    const entry = level.get(leaf) as SeriesEntry<Series> | undefined;
    return entry ? entry.series : this.#add(level, leaf, values);
  }

  #add(level: SeriesTree<Series>, leaf: string, values: readonly string[]): Series {
    const labels: Record<string, string> = {};
    this.labelNames.forEach((name, index) => {
      labels[name] = values[index] ?? "";
    });
    const entry = { labels, series: this.create() };
    level.set(leaf, entry);
    this.#entries.push(entry);
    return entry.series;
  }

  async get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const { labels, series } of this.#entries) values.push(...this.samples(labels, series));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export interface CounterSeries {
  value: number;
}

export class FastCounter extends FastMetric<CounterSeries> {
  readonly type = "counter";

  inc(amount: number, ...values: string[]): void {
    this.seriesOf(values).value += amount;
  }

  protected create(): CounterSeries {
    return { value: 0 };
  }

  protected samples(labels: Record<string, string>, series: CounterSeries): Sample[] {
    return [{ value: series.value, labels }];
  }
}

export class HistogramSeries {
  readonly #bounds: readonly number[];
  /** Per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let index = 0;
    while (index < this.#bounds.length && value > this.#bounds[index]!) index++;
    this.counts[index]!++;
    this.sum += value;
    this.count++;
  }
}

export class FastHistogram extends FastMetric<HistogramSeries> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, ...values: string[]): void {
    this.seriesOf(values).observe(value);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.buckets);
  }

  protected samples(labels: Record<string, string>, series: HistogramSeries): Sample[] {
    const samples: Sample[] = [];
    let cumulative = 0;
    this.buckets.forEach((bound, index) => {
      cumulative += series.counts[index]!;
      samples.push({
        metricName: `${this.name}_bucket`,
        labels: { ...labels, le: bound },
        value: cumulative,
      });
    });
    samples.push({
      metricName: `${this.name}_bucket`,
      labels: { ...labels, le: "+Inf" },
      value: series.count,
    });
    samples.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
    samples.push({ metricName: `${this.name}_count`, labels, value: series.count });
    return samples;
  }
}
