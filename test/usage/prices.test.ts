import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "../../src/config/load.js";
import { DEFAULT_PRICES, DEFAULT_PRICES_SOURCE, PriceTable } from "../../src/usage/prices.js";

describe("PriceTable", () => {
  const table = new PriceTable(
    {
      "local-llama": { input: 0.5, output: 1 },
      "team-*": { input: 2, output: 4, cached_input: 1 },
      "gpt-4o*": { input: 100, output: 100 },
    },
    { defaults: { "gpt-4o*": { input: 2.5, output: 10 }, "gpt-4o-mini*": { input: 0.15, output: 0.6 } } },
  );

  it("prices input, output and cached input per million tokens", () => {
    expect(table.costOf("local-llama", { input: 2_000_000, output: 1_000_000 })).toBeCloseTo(2);
    // 1M uncached at 2, 1M cached at 1, 0.5M out at 4.
    expect(table.costOf("team-a", { input: 2_000_000, output: 500_000, cached: 1_000_000 })).toBeCloseTo(5);
  });

  it("charges cached tokens at the input price when no cached price is given", () => {
    expect(table.costOf("local-llama", { input: 1_000_000, output: 0, cached: 1_000_000 })).toBeCloseTo(0.5);
  });

  it("never counts more cached tokens than prompt tokens", () => {
    expect(table.costOf("team-a", { input: 1_000_000, output: 0, cached: 5_000_000 })).toBeCloseTo(1);
  });

  it("costs nothing for a model priced nowhere", () => {
    expect(table.priceOf("qwen3-8b")).toBeUndefined();
    expect(table.costOf("qwen3-8b", { input: 1e9, output: 1e9 })).toBe(0);
    expect(table.worstCaseCost("qwen3-8b", 1000, 1000)).toBe(0);
  });

  it("lets the configured table win over the defaults, and the longest default pattern win among them", () => {
    expect(table.priceOf("gpt-4o-2024-08-06")?.input).toBe(100);
    expect(table.priceOf("gpt-4o-mini")?.input).toBe(100);
    const defaultsOnly = new PriceTable({}, { defaults: DEFAULT_PRICES });
    expect(defaultsOnly.priceOf("gpt-4o-mini-2024-07-18")).toEqual(DEFAULT_PRICES["gpt-4o-mini*"]);
    expect(defaultsOnly.priceOf("gpt-4o-2024-08-06")).toEqual(DEFAULT_PRICES["gpt-4o*"]);
  });

  it("treats the pattern's other characters literally", () => {
    const dotted = new PriceTable({ "gpt-4.1*": { input: 1, output: 1 } });
    expect(dotted.priceOf("gpt-4.1-mini")).toBeDefined();
    expect(dotted.priceOf("gpt-4x1")).toBeUndefined();
  });

  it("gives the worst case as the whole prompt uncached plus every token max_tokens allows", () => {
    expect(table.worstCaseCost("team-a", 1_000_000, 250_000)).toBeCloseTo(3);
  });
});

describe("the default price table", () => {
  it("names its source and date", () => {
    expect(DEFAULT_PRICES_SOURCE.source).toMatch(/openai\.com.*claude\.com/);
    expect(DEFAULT_PRICES_SOURCE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("prices a newer model by its own row, not by an older family's shorter pattern", () => {
    const table = new PriceTable({}, { defaults: DEFAULT_PRICES });
    expect(table.priceOf("gpt-5.5-2026-04-23")).toEqual(DEFAULT_PRICES["gpt-5.5*"]);
    expect(table.priceOf("gpt-5.4-mini")).toEqual(DEFAULT_PRICES["gpt-5.4-mini*"]);
    expect(table.priceOf("gpt-5-2025-08-07")).toEqual(DEFAULT_PRICES["gpt-5*"]);
    expect(table.priceOf("claude-opus-4-6")).toEqual(DEFAULT_PRICES["claude-opus-4-6*"]);
    expect(table.priceOf("claude-opus-5-5")).toEqual(DEFAULT_PRICES["claude-opus-5-5*"]);
    expect(table.priceOf("claude-sonnet-4-5-20250929")).toEqual(DEFAULT_PRICES["claude-sonnet-4*"]);
  });

  it("holds only well-formed prices", () => {
    for (const price of Object.values(DEFAULT_PRICES)) {
      expect(price.input).toBeGreaterThan(0);
      expect(price.output).toBeGreaterThanOrEqual(price.input);
      expect(price.cached_input ?? 0).toBeLessThanOrEqual(price.input);
    }
  });
});

describe("the prices settings", () => {
  it("build the table from the file, env or flags, over the defaults unless turned off", () => {
    const config = loadGatewayConfig({
      env: { SWITCHYARD_PRICES: '{"my-model":{"input":1,"output":2}}' },
    });
    expect(config.prices).toEqual({ "my-model": { input: 1, output: 2 } });
    expect(config.default_prices).toBe(true);
    const table = PriceTable.fromConfig(config);
    expect(table.costOf("my-model", { input: 1_000_000, output: 1_000_000 })).toBeCloseTo(3);
    expect(table.priceOf("claude-sonnet-4-5-20250929")).toBeDefined();
    const off = PriceTable.fromConfig(loadGatewayConfig({ env: { SWITCHYARD_DEFAULT_PRICES: "false" } }));
    expect(off.priceOf("claude-sonnet-4-5-20250929")).toBeUndefined();
  });

  it("refuses a negative or missing price, naming the field", () => {
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_PRICES: '{"m":{"input":-1,"output":2}}' } })).toThrow(
      /prices/,
    );
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_PRICES: '{"m":{"input":1}}' } })).toThrow(/output/);
  });
});
