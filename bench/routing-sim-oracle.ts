/**
 * A reference for `routing-sim`, not a strategy the gateway can run: `cache_oracle` reads each
 * simulated engine's real KV cache at every pick (what no scrape can tell a gateway) and sends the
 * turn where the longest prefix of its prompt is cached right now, within the same bound on load
 * `prefix_aware` starts from. It answers whether better knowledge of what the engines hold would
 * make the fleet faster: where it does no better than `prefix_aware`, the limit is the KV cache's
 * size, not the router's guess.
 * @module
 */
import type { BackendView } from "../src/routing/backend.js";
import { loadRatio } from "../src/routing/strategies/least-loaded.js";
import { DEFAULT_LOAD_BOUND } from "../src/routing/strategies/prefix-aware.js";
import type { Strategy } from "../src/routing/strategies/strategy.js";

export const CACHE_ORACLE = "cache_oracle";

/** Tokens of the current prompt cached on a backend, as the engine itself would find them. */
export type CachedTokens = (backendId: string) => number;

export class CacheOracle implements Strategy {
  readonly name = CACHE_ORACLE;
  /** Set by the simulation before each pick: what each engine holds of that turn's prompt. */
  cachedTokens: CachedTokens = () => 0;

  pick<T extends BackendView>(candidates: readonly T[]): T | undefined {
    let total = 1;
    for (const candidate of candidates) total += candidate.inflight + candidate.queueDepth;
    const bound = Math.ceil((DEFAULT_LOAD_BOUND * total) / candidates.length - 1e-9);
    let chosen: T | undefined;
    let best = -1;
    for (const candidate of candidates) {
      const load = candidate.inflight + candidate.queueDepth;
      const cached = load + 1 > bound ? -1 : this.cachedTokens(candidate.id);
      const better =
        cached > best ||
        (cached === best && chosen !== undefined && loadRatio(candidate) < loadRatio(chosen));
      if (chosen === undefined || better) {
        chosen = candidate;
        best = cached;
      }
    }
    return chosen;
  }
}
