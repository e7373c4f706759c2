/**
 * Weighted: smooth weighted round robin, the algorithm nginx uses for `weight=`.
 * @module
 */
import type { BackendView } from "../backend.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

/** Config validation already requires a positive weight; anything else counts as 1 here. */
function weightOf(backend: BackendView): number {
  const weight = backend.weight;
  return Number.isFinite(weight) && weight > 0 ? weight : 1;
}

/**
 * Each pick adds every candidate's weight to its running value, takes the largest (the first in
 * candidate order on a tie) and subtracts the total weight from the winner. With integer weights the
 * sequence repeats every `total` picks, so weights 3:1 give exactly 3:1 over any 4 consecutive
 * picks, and the picks interleave (A A B A, never A A A B), which keeps bursts off the heavy backend.
 *
 * Running values are kept per model and per backend id, because models have different backend sets.
 * Only the candidates present take part in a pick: a backend filtered out for a while keeps its
 * value (bounded by the total weight) and rejoins the rotation where it left it. `forget` drops it.
 * Deterministic: no randomness. (The Python load balancer describes "weighted" as weighted random; this gives the
 * same proportions without the variance.)
 */
export class WeightedStrategy implements Strategy {
  readonly name = "weighted";
  /** model → backend id → running value. */
  readonly #current = new Map<string, Map<string, number>>();

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    if (candidates.length === 0) return undefined;
    let values = this.#current.get(request.model);
    if (values === undefined) {
      values = new Map();
      this.#current.set(request.model, values);
    }
    let total = 0;
    let best = candidates[0]!;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const candidate of candidates) {
      const weight = weightOf(candidate);
      const value = (values.get(candidate.id) ?? 0) + weight;
      values.set(candidate.id, value);
      total += weight;
      if (value > bestValue) {
        best = candidate;
        bestValue = value;
      }
    }
    values.set(best.id, bestValue - total);
    return best;
  }

  forget(backendId: string): void {
    for (const values of this.#current.values()) values.delete(backendId);
  }
}
