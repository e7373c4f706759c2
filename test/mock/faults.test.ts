import { describe, expect, it } from "vitest";
import { type FaultDecision, FaultPlan, retryAfterFor } from "../../src/mock/faults.js";
import { parseMockOptions } from "../../src/mock/options.js";

function plan(input: Parameters<typeof parseMockOptions>[0], now = 0): FaultPlan {
  return new FaultPlan(parseMockOptions(input), now);
}

function decisions(faults: FaultPlan, count: number): FaultDecision[] {
  return Array.from({ length: count }, () => faults.decide());
}

describe("FaultPlan", () => {
  it("passes everything when no rate is set", () => {
    expect(new Set(decisions(plan({}), 1000))).toEqual(new Set(["pass"]));
  });

  it("makes the same decisions for the same seed, and others for another seed", () => {
    const options = { failRate: 0.3, hangRate: 0.1, dropRate: 0.1, seed: 42 };
    const first = decisions(plan(options), 200);
    expect(decisions(plan(options), 200)).toEqual(first);
    expect(decisions(plan({ ...options, seed: 43 }), 200)).not.toEqual(first);
  });

  it("gives each fault its rate's share of requests", () => {
    const counts = { pass: 0, fail: 0, hang: 0, drop: 0 };
    const faults = plan({ failRate: 0.2, hangRate: 0.1, dropRate: 0.3, seed: 7 });
    for (const decision of decisions(faults, 20_000)) counts[decision]++;
    expect(counts.fail / 20_000).toBeCloseTo(0.2, 1);
    expect(counts.hang / 20_000).toBeCloseTo(0.1, 1);
    expect(counts.drop / 20_000).toBeCloseTo(0.3, 1);
    expect(counts.pass / 20_000).toBeCloseTo(0.4, 1);
  });

  it("fails every request at rate 1", () => {
    expect(new Set(decisions(plan({ failRate: 1 }), 100))).toEqual(new Set(["fail"]));
  });

  it("changes only the settings it is given at runtime", () => {
    const faults = plan({ failStatus: 503, tokenDelayMs: 5 });
    faults.update({ failRate: 1 });
    expect(faults.settings).toMatchObject({ failRate: 1, failStatus: 503, tokenDelayMs: 5 });
    expect(faults.decide()).toBe("fail");
  });

  it("is unavailable until the deadline, counted from start or from a runtime change", () => {
    const faults = plan({ unavailableFor: 2 }, 1_000);
    expect(faults.unavailableMs(1_500)).toBe(1_500);
    expect(faults.unavailableMs(3_000)).toBe(0);
    faults.update({ unavailableFor: 1 }, 10_000);
    expect(faults.unavailableMs(10_200)).toBe(800);
    expect(faults.describe(10_200).unavailableForMs).toBe(800);
  });

  it("asks clients to retry after 429 and 503 only", () => {
    expect(retryAfterFor(429)).toBe("1");
    expect(retryAfterFor(503)).toBe("1");
    expect(retryAfterFor(500)).toBeUndefined();
  });
});
