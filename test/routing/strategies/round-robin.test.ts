import { describe, expect, it } from "vitest";
import { normalizeStrategyName } from "../../../src/config/strategy-names.js";
import { createStrategy } from "../../../src/routing/strategies/factory.js";
import { RoundRobinStrategy } from "../../../src/routing/strategies/round-robin.js";
import { candidates, runStrategyConformance } from "./conformance.js";

runStrategyConformance("round_robin", () => new RoundRobinStrategy());

describe("round_robin", () => {
  it("rotates exactly, per model", () => {
    const strategy = new RoundRobinStrategy();
    const pool = candidates(3);
    const picks = Array.from({ length: 6 }, () => strategy.pick(pool, { model: "a" })!.id);
    expect(picks).toEqual(["b0", "b1", "b2", "b0", "b1", "b2"]);
    expect(strategy.pick(pool, { model: "other" })!.id).toBe("b0");
  });
});

describe("createStrategy", () => {
  it("accepts the seeds' spellings case-insensitively", () => {
    for (const spelling of ["round_robin", "ROUND_ROBIN", "round-robin", "RoundRobin"]) {
      expect(normalizeStrategyName(spelling)).toBe("round_robin");
      expect(createStrategy(spelling).name).toBe("round_robin");
    }
  });

  it("names the choices when the name is unknown", () => {
    expect(() => createStrategy("fastest")).toThrow(/unknown strategy "fastest".*round_robin/);
  });
});
