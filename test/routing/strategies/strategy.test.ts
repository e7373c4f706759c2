import { describe, expect, it } from "vitest";
import {
  createStrategy,
  normalizeStrategyName,
  strategyNames,
} from "../../../src/routing/strategies/strategy.js";

describe("the strategy factory", () => {
  it("offers every strategy in the design", () => {
    expect(strategyNames().sort()).toEqual(
      [
        "latency",
        "least_connections",
        "least_loaded",
        "power_of_two",
        "prefix_cache",
        "random",
        "round_robin",
        "sticky",
        "weighted",
      ].sort(),
    );
  });

  it("creates a fresh strategy named as asked, for every name", () => {
    for (const name of strategyNames()) {
      const strategy = createStrategy(name);
      expect(strategy.name).toBe(name);
      expect(createStrategy(name)).not.toBe(strategy);
    }
  });

  it.each([
    ["LEAST_LOADED", "least_loaded"],
    ["least-loaded", "least_loaded"],
    ["LeastLoaded", "least_loaded"],
    ["RANDOM", "random"],
    ["least_connections", "least_connections"],
    ["least_conn", "least_connections"],
    ["leastconn", "least_connections"],
    ["least_busy", "least_connections"],
    ["weighted_round_robin", "weighted"],
    ["WRR", "weighted"],
    ["session", "sticky"],
    ["sticky_sessions", "sticky"],
    ["p2c", "power_of_two"],
    ["P2C", "power_of_two"],
    ["PowerOfTwo", "power_of_two"],
    ["peak_ewma", "latency"],
    ["cache_aware", "prefix_cache"],
    ["cache-aware", "prefix_cache"],
    ["PrefixCache", "prefix_cache"],
  ])("accepts %s as %s", (spelling, name) => {
    expect(normalizeStrategyName(spelling)).toBe(name);
    expect(createStrategy(spelling).name).toBe(name);
  });

  it("lists canonical names, not aliases, when a name is unknown", () => {
    expect(() => createStrategy("fastest")).toThrow(/least_loaded.*prefix_cache/);
    expect(() => createStrategy("fastest")).not.toThrow(/p2c/);
  });
});
