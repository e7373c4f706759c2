import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import { PrefixCacheStrategy } from "../../../src/routing/strategies/prefix-cache.js";
import { candidates, runStrategyConformance, tally } from "./conformance.js";

runStrategyConformance("prefix_cache", () => new PrefixCacheStrategy());

const systemPrompt = "You are a careful assistant. Answer in French. ".repeat(8);

function withLoad(pool: readonly BackendView[], id: string, inflight: number, queueDepth = 0): BackendView[] {
  return pool.map((backend) => (backend.id === id ? { ...backend, inflight, queueDepth } : backend));
}

describe("prefix_cache", () => {
  it("sends requests that share a prefix to the same backend", () => {
    const strategy = new PrefixCacheStrategy();
    const pool = candidates(4);
    const home = strategy.pick(pool, { model: "m", promptPrefix: `${systemPrompt}question 0` })!.id;
    for (let i = 1; i < 50; i++)
      expect(strategy.pick(pool, { model: "m", promptPrefix: `${systemPrompt}question ${i}` })!.id).toBe(
        home,
      );
    // Another replica agrees.
    expect(new PrefixCacheStrategy().pick(pool, { model: "m", promptPrefix: systemPrompt })!.id).toBe(home);
  });

  it("decides on the first prefixChars characters only", () => {
    const strategy = new PrefixCacheStrategy({ prefixChars: 4 });
    const pool = candidates(4);
    const counts = tally(100, (i) => strategy.pick(pool, { model: "m", promptPrefix: `same${i}` }));
    expect(counts.size).toBe(1);
  });

  it("spreads different prefixes across the backends", () => {
    const strategy = new PrefixCacheStrategy();
    const pool = candidates(4);
    const counts = tally(2_000, (i) =>
      strategy.pick(pool, { model: "m", promptPrefix: `tenant ${i}: ${systemPrompt}` }),
    );
    for (const id of ["b0", "b1", "b2", "b3"]) {
      expect(counts.get(id)).toBeGreaterThan(300);
      expect(counts.get(id)).toBeLessThan(700);
    }
  });

  it("sends the request elsewhere while its home backend is above the load bound", () => {
    const strategy = new PrefixCacheStrategy();
    const pool = candidates(4);
    const request = { model: "m", promptPrefix: systemPrompt };
    const home = strategy.pick(pool, request)!.id;
    // Bound = ceil(1.25 × (10 + 1) / 4) = 4, and 10 > 4.
    const overflow = strategy.pick(withLoad(pool, home, 10), request)!.id;
    expect(overflow).not.toBe(home);
    // The overflow goes to the same next backend each time, so it warms one cache, not all.
    expect(strategy.pick(withLoad(pool, home, 10), request)!.id).toBe(overflow);
    // The backend's own queue counts as load too.
    expect(strategy.pick(withLoad(pool, home, 0, 10), request)!.id).toBe(overflow);
    // Back within the bound, it is home again: ceil(1.25 × (5 + 3 × 4 + 1) / 4) = 6 ≥ 5.
    const busy = candidates(4, { inflight: 4 });
    expect(strategy.pick(withLoad(busy, home, 5), request)!.id).toBe(home);
  });

  it("keeps every backend within the bound (plus the one request) under a hot prefix", () => {
    const strategy = new PrefixCacheStrategy({ epsilon: 0.25 });
    const inflight = new Map<string, number>();
    const pool = (): BackendView[] =>
      candidates(4).map((backend) => ({ ...backend, inflight: inflight.get(backend.id) ?? 0 }));
    for (let total = 0; total < 200; total++) {
      const picked = strategy.pick(pool(), { model: "m", promptPrefix: systemPrompt })!.id;
      inflight.set(picked, (inflight.get(picked) ?? 0) + 1);
      const bound = Math.ceil((1.25 * (total + 1)) / 4);
      for (const count of inflight.values()) expect(count).toBeLessThanOrEqual(bound + 1);
    }
    expect(inflight.size).toBe(4);
  });

  it("uses the least loaded backend when there is no prefix", () => {
    const strategy = new PrefixCacheStrategy();
    const pool = candidates(3).map((backend, index) => ({ ...backend, inflight: [5, 1, 3][index]! }));
    expect(strategy.pick(pool, { model: "m" })!.id).toBe("b1");
    expect(strategy.pick(pool, { model: "m", promptPrefix: "" })!.id).toBe("b1");
  });
});
