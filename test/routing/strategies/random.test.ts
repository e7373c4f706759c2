import { describe, expect, it } from "vitest";
import { RandomStrategy } from "../../../src/routing/strategies/random.js";
import { candidates, runStrategyConformance, seededRandom, tally } from "./conformance.js";

runStrategyConformance("random", () => new RandomStrategy({ random: seededRandom(7) }));

describe("random", () => {
  it("is roughly uniform and ignores weights", () => {
    const strategy = new RandomStrategy({ random: seededRandom(42) });
    const pool = candidates(4).map((backend, index) => ({ ...backend, weight: index === 0 ? 10 : 1 }));
    const counts = tally(8_000, () => strategy.pick(pool, { model: "m" }));
    for (const id of ["b0", "b1", "b2", "b3"]) {
      expect(counts.get(id)).toBeGreaterThan(1_600);
      expect(counts.get(id)).toBeLessThan(2_400);
    }
  });

  it("is reproducible with the same seed", () => {
    const run = () => {
      const strategy = new RandomStrategy({ random: seededRandom(3) });
      return Array.from({ length: 20 }, () => strategy.pick(candidates(5), { model: "m" })!.id);
    };
    expect(run()).toEqual(run());
  });

  it("stays in range when the generator returns its extremes", () => {
    const pool = candidates(3);
    expect(new RandomStrategy({ random: () => 0 }).pick(pool, { model: "m" })).toBe(pool[0]);
    expect(new RandomStrategy({ random: () => 1 }).pick(pool, { model: "m" })).toBe(pool[2]);
  });
});
