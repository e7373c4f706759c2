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
 * the list taking all of it between two updates of the load figures. The turn is kept per model, as
 * round robin keeps its cursor: with one shared turn, requests for other models in between would
 * decide where this model's next request starts, and alternating two models could send every request
 * for one of them to the same idle backend.
 *
 * One instance per strategy; `pick` is O(candidates) and allocates nothing once a model is known.
 */
export class LowestScore {
  readonly #turns = new Map<string, number>();

  /**
   * @param candidates - the filtered candidates; none means undefined.
   * @param score - lower is better; pass a long-lived function, not a fresh closure per call.
   * @param model - whose rotation breaks the ties.
   */
  pick<T extends BackendView>(
    candidates: readonly T[],
    score: (backend: BackendView) => number,
    model: string,
  ): T | undefined {
    const count = candidates.length;
    if (count === 0) return undefined;
    const turn = this.#turns.get(model) ?? 0;
    const start = turn % count;
    this.#turns.set(model, (turn + 1) % TURN_WRAP);
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
