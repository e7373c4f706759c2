/**
 * The gateway's strategies: one default and optional per-model overrides, each its own instance so
 * that per-strategy state (cursors, EWMAs, rings) is never shared between models that differ.
 * @module
 */
import { createStrategy, type Strategy } from "./strategies/strategy.js";

export class StrategySet {
  readonly default: Strategy;
  readonly #byModel: ReadonlyMap<string, Strategy>;

  constructor(defaultName: string, perModel: Readonly<Record<string, string>> = {}) {
    this.default = createStrategy(defaultName);
    this.#byModel = new Map(
      Object.entries(perModel).map(([model, name]) => {
        try {
          return [model, createStrategy(name)] as const;
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
