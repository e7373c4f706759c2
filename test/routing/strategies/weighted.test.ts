import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import { WeightedStrategy } from "../../../src/routing/strategies/weighted.js";
import { candidates, runStrategyConformance } from "./conformance.js";

runStrategyConformance("weighted", () => new WeightedStrategy());

function weighted(...weights: number[]): BackendView[] {
  return candidates(weights.length).map((backend, index) => ({ ...backend, weight: weights[index]! }));
}

function picks(
  strategy: WeightedStrategy,
  pool: readonly BackendView[],
  count: number,
  model = "m",
): string[] {
  return Array.from({ length: count }, () => strategy.pick(pool, { model })!.id);
}

/** Asserts that every window of `size` consecutive picks holds exactly `expected` of each id. */
function expectExactWindows(
  sequence: readonly string[],
  size: number,
  expected: Record<string, number>,
): void {
  for (let start = 0; start + size <= sequence.length; start++) {
    const counts: Record<string, number> = {};
    for (const id of sequence.slice(start, start + size)) counts[id] = (counts[id] ?? 0) + 1;
    expect(counts, `window at ${start}`).toEqual(expected);
  }
}

describe("weighted", () => {
  it("gives 3:1 exactly over every window of 4 picks, interleaved", () => {
    const sequence = picks(new WeightedStrategy(), weighted(3, 1), 100);
    expectExactWindows(sequence, 4, { b0: 3, b1: 1 });
    expect(sequence.slice(0, 4)).toEqual(["b0", "b0", "b1", "b0"]);
  });

  it("gives 5:2:1 exactly over every window of 8 picks", () => {
    expectExactWindows(picks(new WeightedStrategy(), weighted(5, 2, 1), 200), 8, { b0: 5, b1: 2, b2: 1 });
  });

  it("is smooth: the heavy backend's picks are spread out, not taken in one burst", () => {
    // 5:1:1, nginx's own example: a a b a c a a, never five a's in a row (even across periods).
    const sequence = picks(new WeightedStrategy(), weighted(5, 1, 1), 70);
    let run = 0;
    let longest = 0;
    for (const id of sequence) {
      run = id === "b0" ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThanOrEqual(4);
    expect(sequence.slice(0, 7)).toEqual(["b0", "b0", "b1", "b0", "b2", "b0", "b0"]);
  });

  it("keeps separate rotations per model", () => {
    const strategy = new WeightedStrategy();
    const pool = weighted(3, 1);
    const interleaved = Array.from(
      { length: 8 },
      (_, i) => strategy.pick(pool, { model: i % 2 ? "x" : "y" })!.id,
    );
    expect(interleaved).toEqual(["b0", "b0", "b0", "b0", "b1", "b1", "b0", "b0"]);
  });

  it("shares among the candidates present when a backend drops out, and takes it back", () => {
    const strategy = new WeightedStrategy();
    const full = weighted(2, 1, 1);
    picks(strategy, full, 3);
    const without = full.filter((backend) => backend.id !== "b1");
    // The others' running values do not sum to zero without b1, so allow one period to settle.
    expectExactWindows(picks(strategy, without, 30).slice(3), 3, { b0: 2, b2: 1 });
    const back = picks(strategy, full, 400);
    // Its saved running value is bounded by the total weight, so it rejoins within a pick or two.
    const expected: Record<string, number> = { b0: 200, b1: 100, b2: 100 };
    for (const [id, share] of Object.entries(expected)) {
      const count = back.filter((picked) => picked === id).length;
      expect(Math.abs(count - share)).toBeLessThanOrEqual(2);
    }
  });

  it("starts a forgotten backend afresh", () => {
    const strategy = new WeightedStrategy();
    const pool = weighted(1, 1);
    picks(strategy, pool, 1);
    strategy.forget("b0");
    strategy.forget("b1");
    expect(picks(strategy, pool, 2)).toEqual(["b0", "b1"]);
  });

  it("counts a weight that is not positive as 1", () => {
    expectExactWindows(picks(new WeightedStrategy(), weighted(0, -3, 2), 40), 4, { b0: 1, b1: 1, b2: 2 });
  });
});
