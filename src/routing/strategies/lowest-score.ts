/**
 * The lowest-score choice shared by the load-aware strategies, with ties broken by rotation.
 * @module
 */
import type { BackendView } from "../backend.js";

/** Wraps the turn counter well inside the safe-integer range; any large modulus would do. */
const TURN_WRAP = 1_000_000_007;

/**
 * Picks the candidate with the lowest score. Equal scores are broken by rotation: each call starts
 * its scan one candidate further on, so idle backends share the traffic instead of the first one in
 * the list taking all of it between two updates of the load figures.
 *
 * One instance per strategy; `pick` is O(candidates) and allocates nothing.
 */
export class LowestScore {
  #turn = 0;

  /**
   * @param candidates - the filtered candidates; none means undefined.
   * @param score - lower is better; pass a long-lived function, not a fresh closure per call.
   */
  pick(candidates: readonly BackendView[], score: (backend: BackendView) => number): BackendView | undefined {
    const count = candidates.length;
    if (count === 0) return undefined;
    const start = this.#turn % count;
    this.#turn = (this.#turn + 1) % TURN_WRAP;
    let best = candidates[start]!;
    let bestScore = score(best);
    for (let step = 1; step < count; step++) {
      const candidate = candidates[(start + step) % count]!;
      const value = score(candidate);
      if (value < bestScore) {
        best = candidate;
        bestScore = value;
      }
    }
    return best;
  }
}
