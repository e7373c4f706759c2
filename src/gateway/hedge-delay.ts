/**
 * When a non-streamed attempt is hedged: `hedge_after` seconds without its answer, or longer for a
 * model whose answers are long. A non-streamed answer starts only when it is complete, so a model
 * that routinely writes for a minute would have every request sent twice by a fixed 30 s hedge, a
 * doubling of the load on the fleet exactly when it is busiest. The delay is therefore the larger
 * of `hedge_after` and HEDGE_P99_FACTOR times the 99th percentile of the model's recent answer
 * times (once MIN_SAMPLES are known): a hedge is then almost never sent for a live backend, and a
 * frozen one still costs a bounded wait.
 *
 * Answer times are this process's own (each replica hedges from what it saw), kept per model in a
 * fixed ring of the last WINDOW successful non-streamed attempts; the percentile is recomputed
 * every RESORT_EVERY samples, not per request.
 * @module
 */

import type { GatewayConfig } from "../config/schema.js";

/** `hedge_after` for a model: its `model_hedge_after` entry, else the global one (0: never hedged). */
export function hedgeAfterSeconds(
  config: Pick<GatewayConfig, "hedge_after" | "model_hedge_after">,
  model: string,
): number {
  return config.model_hedge_after[model] ?? config.hedge_after;
}

/** How many recent answer times per model the percentile is read from. */
export const WINDOW = 256;
/** Fewer known answer times than this: the delay is `hedge_after` alone. */
export const MIN_SAMPLES = 20;
/** The hedge waits this many times the model's p99 answer time, when that is above `hedge_after`. */
export const HEDGE_P99_FACTOR = 2;
const RESORT_EVERY = 16;
/**
 * Most models tracked: a key pool routed by a model pattern serves names the clients choose, so
 * the map is bounded; the model tracked longest is forgotten first (it falls back to `hedge_after`).
 */
export const MAX_MODELS = 1024;

/** The recent answer times of one model. */
export class AnswerTimes {
  readonly #samples = new Float64Array(WINDOW);
  #count = 0;
  #next = 0;
  #sinceSort = 0;
  #p99: number | undefined;

  add(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % WINDOW;
    if (this.#count < WINDOW) this.#count++;
    // Stale after RESORT_EVERY new samples: recomputed by the next read.
    if (++this.#sinceSort >= RESORT_EVERY) this.#p99 = undefined;
  }

  /** The 99th percentile of the answer times in the window; undefined below MIN_SAMPLES. */
  p99(): number | undefined {
    if (this.#count < MIN_SAMPLES) return undefined;
    if (this.#p99 === undefined) {
      const rank = Math.min(this.#count - 1, Math.ceil(this.#count * 0.99) - 1);
      this.#p99 = kthLargest(this.#samples, this.#count, this.#count - rank);
      this.#sinceSort = 0;
    }
    return this.#p99;
  }
}

/**
 * The `k`-th largest of the first `count` samples. The p99 of a window is among its few largest
 * (k ≤ 3 for 256 samples), so one pass keeping those costs a fraction of sorting the window, which
 * showed in the profile of every non-streamed request.
 */
function kthLargest(samples: Float64Array, count: number, k: number): number {
  const top: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = samples[i]!;
    if (top.length === k && value <= top[k - 1]!) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && top[at - 1]! < value) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = value;
  }
  return top[k - 1]!;
}

/** Answer times per model, and the hedge delay they give. */
export class HedgeDelays {
  readonly #byModel = new Map<string, AnswerTimes>();

  /** A successful non-streamed attempt of `model` had its answer `ms` after it was sent. */
  record(model: string, ms: number): void {
    let times = this.#byModel.get(model);
    if (!times) {
      if (this.#byModel.size >= MAX_MODELS) this.#byModel.delete(this.#byModel.keys().next().value!);
      times = new AnswerTimes();
      this.#byModel.set(model, times);
    }
    times.add(ms);
  }

  /**
   * Milliseconds a non-streamed attempt of `model` waits for its answer before it is hedged;
   * Infinity when hedging is off (`hedgeAfterSeconds` 0).
   */
  delayMs(model: string, hedgeAfterSeconds: number): number {
    if (hedgeAfterSeconds <= 0) return Number.POSITIVE_INFINITY;
    const floorMs = hedgeAfterSeconds * 1000;
    const p99 = this.#byModel.get(model)?.p99();
    return p99 === undefined ? floorMs : Math.max(floorMs, HEDGE_P99_FACTOR * p99);
  }
}
