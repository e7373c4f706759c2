/**
 * Least loaded: capacity-aware, the backend with the lowest share of its capacity in use.
 * @module
 */
import { type BackendView, requestLoad } from "../backend.js";
import { LowestScore } from "./lowest-score.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

/**
 * The capacity assumed for a backend without a cap (`maxConnections` 0). It only has to be of the
 * order of a real engine's batch size so that uncapped and capped backends compare sensibly: an
 * uncapped backend with 16 requests counts as a quarter full.
 */
export const UNCAPPED_CAPACITY = 64;

/**
 * A backend's load as a fraction of its capacity: its {@link requestLoad} ÷ maxConnections, with
 * {@link UNCAPPED_CAPACITY} standing in for "no cap". `queueDepth` is what the engine itself reports
 * beyond our requests, so traffic from other gateways counts too.
 */
export function loadRatio(backend: BackendView): number {
  const capacity = backend.maxConnections > 0 ? backend.maxConnections : UNCAPPED_CAPACITY;
  return requestLoad(backend) / capacity;
}

/** Picks the candidate with the lowest {@link loadRatio}; ties rotate. */
export class LeastLoadedStrategy implements Strategy {
  readonly name = "least_loaded";
  readonly #lowest = new LowestScore();

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    return this.#lowest.pick(candidates, loadRatio, request.model);
  }
}
