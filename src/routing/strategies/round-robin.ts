import type { BackendView } from "../backend.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

/**
 * Rotates through the candidates, one cursor per model so that models with different backend
 * sets do not skew each other's rotation.
 */
export class RoundRobinStrategy implements Strategy {
  readonly name = "round_robin";
  #cursors = new Map<string, number>();

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    if (candidates.length === 0) return undefined;
    const cursor = this.#cursors.get(request.model) ?? 0;
    this.#cursors.set(request.model, (cursor + 1) % 1_000_000_007);
    return candidates[cursor % candidates.length];
  }
}
