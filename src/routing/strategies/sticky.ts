/**
 * Sticky: session affinity by consistent hashing of the session key.
 * @module
 */
import type { BackendView } from "../backend.js";
import { DEFAULT_VIRTUAL_NODES, hashString, RingCache } from "./hash-ring.js";
import { LeastConnectionsStrategy } from "./least-connections.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

export interface StickyOptions {
  /** Points per backend on the hash ring; default {@link DEFAULT_VIRTUAL_NODES}. */
  readonly virtualNodes?: number;
}

/**
 * The same `sessionKey` goes to the same backend for as long as that backend is a candidate. Keys
 * are placed on a consistent-hash ring of the candidates, so adding a backend moves about 1/N of
 * the sessions (all onto the new one) and removing one moves only its own sessions; a backend that
 * is briefly unhealthy or at its cap gets its sessions back when it returns. Load is not considered:
 * affinity wins. A request without a session key is routed by least connections (ties rotate).
 */
export class StickyStrategy implements Strategy {
  readonly name = "sticky";
  readonly #rings: RingCache;
  readonly #fallback = new LeastConnectionsStrategy();

  constructor(options: StickyOptions = {}) {
    this.#rings = new RingCache(options.virtualNodes ?? DEFAULT_VIRTUAL_NODES);
  }

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    if (candidates.length === 0) return undefined;
    const key = request.sessionKey;
    if (key === undefined || key === "") return this.#fallback.pick(candidates, request);
    const ring = this.#rings.ringFor(candidates);
    return candidates[ring.ownerAt(ring.locate(hashString(key)))];
  }

  forget(backendId: string): void {
    this.#rings.forget(backendId);
  }
}
