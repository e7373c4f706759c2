/**
 * Prefix cache: requests that share a prompt prefix go to the same backend, so its KV cache is
 * reused, with a load bound so one hot prefix cannot overload that backend.
 * @module
 */
import { type BackendView, requestLoad } from "../backend.js";
import { DEFAULT_VIRTUAL_NODES, hashString, RingCache } from "./hash-ring.js";
import { LeastLoadedStrategy } from "./least-loaded.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

export interface PrefixCacheOptions {
  /** Characters of `promptPrefix` that decide the backend; default 256. */
  readonly prefixChars?: number;
  /** Headroom over the average load a backend may take (the paper's ε); default 0.25. */
  readonly epsilon?: number;
  /** Points per backend on the hash ring; default {@link DEFAULT_VIRTUAL_NODES}. */
  readonly virtualNodes?: number;
}

export const DEFAULT_PREFIX_CHARS = 256;
export const DEFAULT_EPSILON = 0.25;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, 2018). The first
 * `prefixChars` characters of `promptPrefix` are hashed onto a ring of the candidates; walking
 * clockwise from there, the first backend whose load (`requestLoad`: inflight, gated, queueDepth) is at most
 * ceil((1 + ε) × average load, this request included) takes the request. Such a backend always
 * exists, and a prefix only leaves its home backend while that backend is above the bound, then
 * lands on the same next one each time, so the overflow also finds a warm cache.
 *
 * The bound is tested on the load before this request, as specified for the gateway: at low load a
 * second concurrent request for a prefix stays on its backend (cache hit) rather than spreading, at
 * the price of a backend ending at most one request over the bound.
 *
 * Without a `promptPrefix` (or with an empty one) the request goes to the least loaded backend
 * (capacity-aware, ties rotate).
 */
export class PrefixCacheStrategy implements Strategy {
  readonly name = "prefix_cache";
  readonly #prefixChars: number;
  readonly #epsilon: number;
  readonly #rings: RingCache;
  readonly #fallback = new LeastLoadedStrategy();

  constructor(options: PrefixCacheOptions = {}) {
    this.#prefixChars = options.prefixChars ?? DEFAULT_PREFIX_CHARS;
    this.#epsilon = options.epsilon ?? DEFAULT_EPSILON;
    this.#rings = new RingCache(options.virtualNodes ?? DEFAULT_VIRTUAL_NODES);
  }

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    if (candidates.length === 0) return undefined;
    const prefix = request.promptPrefix;
    if (prefix === undefined || prefix === "") return this.#fallback.pick(candidates, request);
    const bound = this.#bound(candidates);
    const ring = this.#rings.ringFor(candidates);
    const start = ring.locate(hashString(prefix, this.#prefixChars));
    // Usually ends at the first point; only an overloaded home makes it walk on.
    for (let step = 0; step < ring.size; step++) {
      const candidate = candidates[ring.ownerAt(start + step)]!;
      if (requestLoad(candidate) <= bound) return candidate;
    }
    return this.#fallback.pick(candidates, request);
  }

  forget(backendId: string): void {
    this.#rings.forget(backendId);
  }

  /** ceil((1 + ε) × (total load + 1) ÷ candidates). */
  #bound(candidates: readonly BackendView[]): number {
    let total = 1;
    for (const candidate of candidates) total += requestLoad(candidate);
    // The small epsilon keeps float error (1.1 × 10 = 11.000000000000002) from adding a whole request.
    return Math.ceil(((1 + this.#epsilon) * total) / candidates.length - 1e-9);
  }
}
