/**
 * The gateway's strategies: one default and optional per-model overrides, each its own instance so
 * that per-strategy state (cursors, EWMAs, rings) is never shared between models that differ.
 * @module
 */
import type { GatewayConfig } from "../config/schema.js";
import { createStrategy, type StrategyOptions } from "./strategies/factory.js";
import type { Strategy } from "./strategies/strategy.js";

/** The settings a {@link StrategySet} is built from. */
export type StrategySettings = Pick<
  GatewayConfig,
  | "strategy"
  | "model_strategies"
  | "latency_decay"
  | "hash_ring_points"
  | "prefix_block_chars"
  | "prefix_cache_blocks"
  | "prefix_load_bound"
>;

export class StrategySet {
  readonly default: Strategy;
  readonly #byModel: ReadonlyMap<string, Strategy>;

  /** The strategies a configuration asks for, tuned by its strategy settings. */
  static fromConfig(config: StrategySettings): StrategySet {
    return new StrategySet(config.strategy, config.model_strategies, {
      latencyDecayMs: config.latency_decay * 1000,
      hashRingPoints: config.hash_ring_points,
      prefixBlockChars: config.prefix_block_chars,
      prefixCacheBlocks: config.prefix_cache_blocks,
      prefixLoadBound: config.prefix_load_bound,
    });
  }

  constructor(
    defaultName: string,
    perModel: Readonly<Record<string, string>> = {},
    options: StrategyOptions = {},
  ) {
    this.default = createStrategy(defaultName, options);
    this.#byModel = new Map(
      Object.entries(perModel).map(([model, name]) => {
        try {
          return [model, createStrategy(name, options)] as const;
        } catch (error) {
          throw new Error(`model_strategies.${model}: ${(error as Error).message}`);
        }
      }),
    );
  }

  for(model: string): Strategy {
    return this.#byModel.get(model) ?? this.default;
  }

  /** A backend went away: every strategy drops what it kept about it. */
  forget(backendId: string): void {
    this.default.forget?.(backendId);
    for (const strategy of this.#byModel.values()) strategy.forget?.(backendId);
  }

  describe(): { default: string; models: Record<string, string> } {
    return {
      default: this.default.name,
      models: Object.fromEntries([...this.#byModel].map(([model, strategy]) => [model, strategy.name])),
    };
  }
}
