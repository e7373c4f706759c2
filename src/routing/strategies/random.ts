/**
 * Random: a uniform choice.
 * @module
 */
import type { BackendView } from "../backend.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

export interface RandomOptions {
  /** Uniform in [0, 1); injectable so tests are reproducible. Defaults to `Math.random`. */
  readonly random?: () => number;
}

/**
 * Picks a candidate uniformly at random. Weights and load are ignored on purpose: this is the
 * stateless baseline (use `weighted` for weights, `power_of_two` for load-aware randomness).
 */
export class RandomStrategy implements Strategy {
  readonly name = "random";
  readonly #random: () => number;

  constructor(options: RandomOptions = {}) {
    this.#random = options.random ?? Math.random;
  }

  pick<T extends BackendView>(candidates: readonly T[], _request: RoutingRequest): T | undefined {
    const count = candidates.length;
    if (count === 0) return undefined;
    // min() guards against a generator that returns exactly 1.
    return candidates[Math.min(count - 1, Math.floor(this.#random() * count))];
  }
}
