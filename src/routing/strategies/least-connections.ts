/**
 * Least connections: the backend this gateway has the fewest requests in flight to.
 * @module
 */
import { type BackendView, ownRequests } from "../backend.js";
import { LowestScore } from "./lowest-score.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

/**
 * Picks the candidate with the fewest requests in flight (or waiting at its KV admission gate). Ties rotate, so equally idle backends
 * share load. Reads only the gateway's own count; `least_loaded` also weighs the backend's queue and
 * capacity.
 */
export class LeastConnectionsStrategy implements Strategy {
  readonly name = "least_connections";
  readonly #lowest = new LowestScore();

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    return this.#lowest.pick(candidates, ownRequests, request.model);
  }
}
