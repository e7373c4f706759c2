/**
 * Power of two choices: two distinct random candidates, the less loaded of them wins.
 * @module
 */
import { type BackendView, requestLoad } from "../backend.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

export interface PowerOfTwoOptions {
  /** Uniform in [0, 1); injectable so tests are reproducible. Defaults to `Math.random`. */
  readonly random?: () => number;
}

/**
 * Samples two distinct candidates and takes the one with fewer requests (`requestLoad`);
 * on a tie, the first sampled (itself random). Nearly as balanced as a full least-loaded scan, but
 * the randomness keeps several gateway replicas with stale load figures from all herding onto the
 * same idle backend. The single most loaded candidate is never chosen when loads differ.
 */
export class PowerOfTwoStrategy implements Strategy {
  readonly name = "power_of_two";
  readonly #random: () => number;

  constructor(options: PowerOfTwoOptions = {}) {
    this.#random = options.random ?? Math.random;
  }

  pick<T extends BackendView>(candidates: readonly T[], _request: RoutingRequest): T | undefined {
    const count = candidates.length;
    if (count <= 1) return candidates[0];
    const first = Math.min(count - 1, Math.floor(this.#random() * count));
    // Draw from the other count - 1 positions, then skip over `first`, so the two are distinct.
    let second = Math.min(count - 2, Math.floor(this.#random() * (count - 1)));
    if (second >= first) second++;
    const a = candidates[first]!;
    const b = candidates[second]!;
    return requestLoad(b) < requestLoad(a) ? b : a;
  }
}
