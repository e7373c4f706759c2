import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PowerOfTwoStrategy } from "../../../src/routing/strategies/power-of-two.js";
import { candidates, runStrategyConformance, seededRandom, tally } from "./conformance.js";

runStrategyConformance("power_of_two", () => new PowerOfTwoStrategy({ random: seededRandom(11) }));

describe("power_of_two", () => {
  it("never picks the single most loaded backend when there are two or more", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 100 }), { minLength: 2, maxLength: 12 }),
        fc.array(fc.nat({ max: 100 }), { minLength: 12, maxLength: 12 }),
        fc.integer(),
        (inflight, queueDepth, seed) => {
          const pool = candidates(inflight.length).map((backend, index) => ({
            ...backend,
            inflight: inflight[index]!,
            queueDepth: queueDepth[index]!,
          }));
          const loads = pool.map((backend) => backend.inflight + backend.queueDepth);
          const max = Math.max(...loads);
          if (loads.filter((load) => load === max).length !== 1) return;
          const heaviest = pool[loads.indexOf(max)]!.id;
          const strategy = new PowerOfTwoStrategy({ random: seededRandom(seed) });
          for (let i = 0; i < 30; i++) expect(strategy.pick(pool, { model: "m" })!.id).not.toBe(heaviest);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("compares two distinct candidates, so the lighter of two always wins", () => {
    const pool = candidates(2).map((backend, index) => ({ ...backend, inflight: index === 0 ? 3 : 1 }));
    const strategy = new PowerOfTwoStrategy({ random: seededRandom(5) });
    for (let i = 0; i < 50; i++) expect(strategy.pick(pool, { model: "m" })!.id).toBe("b1");
  });

  it("favours lighter backends in proportion", () => {
    const pool = candidates(3).map((backend, index) => ({ ...backend, inflight: index }));
    const strategy = new PowerOfTwoStrategy({ random: seededRandom(1) });
    const counts = tally(6_000, () => strategy.pick(pool, { model: "m" }));
    // Each pair is equally likely; b0 wins both of its pairs (2/3), b1 one (1/3), b2 none.
    expect(counts.get("b2")).toBeUndefined();
    expect(counts.get("b0")).toBeGreaterThan(3_600);
    expect(counts.get("b0")).toBeLessThan(4_400);
  });
});
