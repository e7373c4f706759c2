/**
 * How evenly a run loaded the engines: each engine's own `vllm:num_requests_running` plus
 * `vllm:num_requests_waiting`, sampled every few hundred ms over the measured window and averaged;
 * the figure is the busiest engine's average over the mean of all. Engines without those gauges
 * (plain mocks) give no samples, and the bench falls back to requests served per engine.
 * @module
 */
import { sumSamples } from "../src/bench/engine-metrics.js";

const SAMPLE_INTERVAL_MS = 250;
const SCRAPE_TIMEOUT_MS = 1_000;

async function engineLoad(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    const text = await response.text();
    const running = sumSamples(text, "vllm:num_requests_running");
    const waiting = sumSamples(text, "vllm:num_requests_waiting");
    return running === undefined ? undefined : running + (waiting ?? 0);
  } catch {
    return undefined;
  }
}

/** The busiest over the mean of `values`; undefined when they are empty or all zero. */
export function maxOverMean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return mean > 0 ? Math.max(...values) / mean : undefined;
}

/** Samples the engines' load from `startAfterMs` until `stop()`. */
export class LoadSampler {
  readonly #urls: readonly string[];
  readonly #sums: number[];
  #samples = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(engineUrls: readonly string[], startAfterMs: number) {
    this.#urls = engineUrls;
    this.#sums = engineUrls.map(() => 0);
    const begin = setTimeout(() => {
      this.#timer = setInterval(() => {
        this.#inFlight ??= this.#sample().finally(() => {
          this.#inFlight = undefined;
        });
      }, SAMPLE_INTERVAL_MS);
    }, startAfterMs);
    this.#timer = begin;
  }

  async #sample(): Promise<void> {
    const loads = await Promise.all(this.#urls.map(engineLoad));
    if (loads.some((load) => load === undefined)) return;
    loads.forEach((load, i) => {
      this.#sums[i]! += load!;
    });
    this.#samples++;
  }

  /** Stops sampling; the engines' average loads, or undefined when none could be sampled. */
  async stop(): Promise<number[] | undefined> {
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    await this.#inFlight;
    return this.#samples > 0 ? this.#sums.map((sum) => sum / this.#samples) : undefined;
  }
}
