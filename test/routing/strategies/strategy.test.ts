import { describe, expect, it } from "vitest";
import { defaultGatewayConfig } from "../../../src/config/schema.js";
import { normalizeStrategyName, strategyNames } from "../../../src/config/strategy-names.js";
import { createStrategy } from "../../../src/routing/strategies/factory.js";
import { DEFAULT_VIRTUAL_NODES } from "../../../src/routing/strategies/hash-ring.js";
import { DEFAULT_DECAY_MS } from "../../../src/routing/strategies/latency.js";
import {
  DEFAULT_BLOCK_CHARS,
  DEFAULT_CACHE_BLOCKS,
  DEFAULT_LOAD_BOUND,
} from "../../../src/routing/strategies/prefix-aware.js";
import { candidates } from "./conformance.js";

describe("the strategy factory", () => {
  it("offers every strategy in the design", () => {
    expect(strategyNames().sort()).toEqual(
      [
        "latency",
        "least_connections",
        "least_loaded",
        "power_of_two",
        "prefix_cache",
        "prefix_aware",
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
    ["prefix_aware", "prefix_aware"],
    ["PrefixAware", "prefix_aware"],
    ["kv-aware", "prefix_aware"],
  ])("accepts %s as %s", (spelling, name) => {
    expect(normalizeStrategyName(spelling)).toBe(name);
    expect(createStrategy(spelling).name).toBe(name);
  });

  it("lists canonical names, not aliases, when a name is unknown", () => {
    expect(() => createStrategy("fastest")).toThrow(/least_loaded.*prefix_cache/);
    expect(() => createStrategy("fastest")).not.toThrow(/p2c/);
  });

  it("takes the hash-ring size and the latency decay as options, defaulting as the settings do", () => {
    const defaults = defaultGatewayConfig();
    expect(defaults.hash_ring_points).toBe(DEFAULT_VIRTUAL_NODES);
    expect(defaults.latency_decay * 1000).toBe(DEFAULT_DECAY_MS);
    expect(defaults.prefix_block_chars).toBe(DEFAULT_BLOCK_CHARS);
    expect(defaults.prefix_cache_blocks).toBe(DEFAULT_CACHE_BLOCKS);
    expect(defaults.prefix_load_bound).toBe(DEFAULT_LOAD_BOUND);
    for (const name of strategyNames()) {
      const options = {
        hashRingPoints: 3,
        latencyDecayMs: 50,
        prefixBlockChars: 64,
        prefixCacheBlocks: 100,
        prefixLoadBound: 1.5,
      };
      expect(createStrategy(name, options).name).toBe(name);
    }
  });
});

describe("the strategy options", () => {
  const backends = candidates(4);

  /** Largest over smallest share of 4,000 sessions among the four backends. */
  const unevenness = (points: number): number => {
    const sticky = createStrategy("sticky", { hashRingPoints: points });
    const counts = new Map(backends.map((backend) => [backend.id, 0]));
    for (let index = 0; index < 4000; index++) {
      const chosen = sticky.pick(backends, { model: "m", sessionKey: `user-${index}` })!;
      counts.set(chosen.id, counts.get(chosen.id)! + 1);
    }
    return Math.max(...counts.values()) / Math.max(1, Math.min(...counts.values()));
  };

  it("spreads sessions more evenly with more ring points", () => {
    expect(unevenness(400)).toBeLessThan(1.5);
    expect(unevenness(1)).toBeGreaterThan(unevenness(400));
  });

  it("lets a slow backend's estimate fade after the latency decay, and not before", async () => {
    const picksAfterSpike = async (decayMs: number): Promise<string[]> => {
      const latency = createStrategy("latency", { latencyDecayMs: decayMs });
      latency.onResult?.(backends[0]!.id, "success", 5000);
      latency.onResult?.(backends[1]!.id, "success", 100);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return [1, 2, 3, 4].map(() => latency.pick(backends.slice(0, 2), { model: "m" })!.id);
    };
    // An hour's decay: 5 s against 0.1 s still decides. A millisecond's: both faded to nothing, ties rotate.
    expect(await picksAfterSpike(3_600_000)).not.toContain(backends[0]!.id);
    expect(await picksAfterSpike(1)).toContain(backends[0]!.id);
  });
});
