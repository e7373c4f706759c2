/**
 * The only place that maps a strategy's name to its implementation. Names and their other
 * spellings are in `config/strategy-names.ts`; the settings that tune a strategy come in as
 * {@link StrategyOptions}.
 * @module
 */
import {
  canonicalStrategyName,
  type StrategyName,
  unknownStrategyMessage,
} from "../../config/strategy-names.js";
import { LatencyStrategy } from "./latency.js";
import { LeastConnectionsStrategy } from "./least-connections.js";
import { LeastLoadedStrategy } from "./least-loaded.js";
import { PowerOfTwoStrategy } from "./power-of-two.js";
import { PrefixAwareStrategy } from "./prefix-aware.js";
import { PrefixCacheStrategy } from "./prefix-cache.js";
import { RandomStrategy } from "./random.js";
import { RoundRobinStrategy } from "./round-robin.js";
import { StickyStrategy } from "./sticky.js";
import type { Strategy } from "./strategy.js";
import { WeightedStrategy } from "./weighted.js";

/** Settings that tune strategies; each left out takes the implementation's default, which the settings' defaults match. */
export interface StrategyOptions {
  /** Time constant of the `latency` strategy's peak-EWMA decay, in ms (`latency_decay`). */
  readonly latencyDecayMs?: number;
  /** Points per backend on the `sticky`, `prefix_cache` and `prefix_aware` hash rings (`hash_ring_points`). */
  readonly hashRingPoints?: number;
  /** Characters per block of the `prefix_aware` prompt hashes (`prefix_block_chars`). */
  readonly prefixBlockChars?: number;
  /** Blocks `prefix_aware` remembers per backend (`prefix_cache_blocks`). */
  readonly prefixCacheBlocks?: number;
  /** Most load `prefix_aware` puts on a backend, as a multiple of the mean (`prefix_load_bound`). */
  readonly prefixLoadBound?: number;
}

/** Canonical name → a fresh strategy. Typed by every name, so a name without one does not compile. */
const FACTORIES: Readonly<Record<StrategyName, (options: StrategyOptions) => Strategy>> = {
  round_robin: () => new RoundRobinStrategy(),
  least_connections: () => new LeastConnectionsStrategy(),
  least_loaded: () => new LeastLoadedStrategy(),
  weighted: () => new WeightedStrategy(),
  random: () => new RandomStrategy(),
  sticky: (options) => new StickyStrategy({ virtualNodes: options.hashRingPoints }),
  power_of_two: () => new PowerOfTwoStrategy(),
  latency: (options) => new LatencyStrategy({ decayMs: options.latencyDecayMs }),
  prefix_cache: (options) => new PrefixCacheStrategy({ virtualNodes: options.hashRingPoints }),
  prefix_aware: (options) =>
    new PrefixAwareStrategy({
      virtualNodes: options.hashRingPoints,
      blockChars: options.prefixBlockChars,
      cacheBlocks: options.prefixCacheBlocks,
      loadBound: options.prefixLoadBound,
    }),
};

/**
 * A fresh strategy for a name in any accepted spelling. Each call makes a new instance.
 * @throws Error naming the choices when the name is unknown.
 */
export function createStrategy(name: string, options: StrategyOptions = {}): Strategy {
  const canonical = canonicalStrategyName(name);
  if (canonical === undefined) throw new Error(unknownStrategyMessage(name));
  return FACTORIES[canonical](options);
}
