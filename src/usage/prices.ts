/**
 * What a request costs: USD per million tokens for each model (input, output, and cached input,
 * the prompt tokens a provider read from its prompt cache), from the `prices` setting over a
 * default table of well-known hosted models kept as data (default-prices.json, with its source and
 * date). A model priced nowhere costs nothing: a local engine's tokens are free unless priced.
 * @module
 */
import defaultTable from "./default-prices.json" with { type: "json" };

/** USD per million tokens. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** Prompt tokens read from the provider's cache; the input price when not given. */
  readonly cached_input?: number | undefined;
}

/** Token counts of one request, as its usage reports them. */
export interface CostUsage {
  /** Every prompt token, cached ones included (as OpenAI's `prompt_tokens` counts them). */
  readonly input: number;
  readonly output: number;
  /** The part of `input` read from the provider's cache. */
  readonly cached?: number | undefined;
}

/** Model names or `*` patterns → their price, as the `prices` setting and the default table give them. */
export type PriceEntries = Readonly<Record<string, ModelPrice>>;

const PER_MILLION = 1_000_000;

/** One table's lookup: an exact name first, then the longest matching pattern. */
class PriceLookup {
  readonly #exact = new Map<string, ModelPrice>();
  readonly #patterns: { readonly match: RegExp; readonly length: number; readonly price: ModelPrice }[] = [];

  constructor(entries: PriceEntries) {
    for (const [name, price] of Object.entries(entries)) {
      if (name.includes("*")) {
        this.#patterns.push({ match: patternRegExp(name), length: name.length, price });
      } else {
        this.#exact.set(name, price);
      }
    }
    // The most specific pattern wins: `gpt-4o-mini*` before `gpt-4o*`.
    this.#patterns.sort((a, b) => b.length - a.length);
  }

  find(model: string): ModelPrice | undefined {
    return this.#exact.get(model) ?? this.#patterns.find((pattern) => pattern.match.test(model))?.price;
  }
}

export class PriceTable {
  readonly #configured: PriceLookup;
  readonly #defaults: PriceLookup | undefined;

  /** `configured` (the `prices` setting) always wins over the default table, pattern or not. */
  constructor(configured: PriceEntries, options: { readonly defaults?: PriceEntries | undefined } = {}) {
    this.#configured = new PriceLookup(configured);
    this.#defaults = options.defaults ? new PriceLookup(options.defaults) : undefined;
  }

  /** The table the settings describe: `prices` over the default table unless `default_prices` is off. */
  static fromConfig(config: { readonly prices: PriceEntries; readonly default_prices: boolean }): PriceTable {
    return new PriceTable(config.prices, { defaults: config.default_prices ? DEFAULT_PRICES : undefined });
  }

  /** The model's price; undefined when nothing prices it (it then costs nothing). */
  priceOf(model: string): ModelPrice | undefined {
    return this.#configured.find(model) ?? this.#defaults?.find(model);
  }

  /** USD one request cost. */
  costOf(model: string, usage: CostUsage): number {
    const price = this.priceOf(model);
    if (!price) return 0;
    const cached = Math.min(Math.max(usage.cached ?? 0, 0), usage.input);
    return (
      ((usage.input - cached) * price.input +
        cached * (price.cached_input ?? price.input) +
        usage.output * price.output) /
      PER_MILLION
    );
  }

  /** USD a request may cost at most: its whole prompt uncached and every token it may generate. */
  worstCaseCost(model: string, promptTokensEstimate: number, maxTokens: number): number {
    return this.costOf(model, { input: promptTokensEstimate, output: maxTokens });
  }
}

/** The default table's entries (default-prices.json). */
export const DEFAULT_PRICES: PriceEntries = defaultTable.prices;

/** Where the default table's figures come from, and the day they were copied. */
export const DEFAULT_PRICES_SOURCE = { source: defaultTable.source, asOf: defaultTable.as_of } as const;

function patternRegExp(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}
