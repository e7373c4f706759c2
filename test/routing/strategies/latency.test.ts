import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import { LatencyStrategy } from "../../../src/routing/strategies/latency.js";
import { candidates, runStrategyConformance, tally } from "./conformance.js";

runStrategyConformance("latency", () => new LatencyStrategy());

/** A strategy on a hand-driven clock. */
function setup(options: { decayMs?: number; failurePenaltyMs?: number } = {}) {
  const clock = { now: 0 };
  const strategy = new LatencyStrategy({ ...options, now: () => clock.now });
  return { clock, strategy };
}

function withInflight(pool: readonly BackendView[], id: string, inflight: number): BackendView[] {
  return pool.map((backend) => (backend.id === id ? { ...backend, inflight } : backend));
}

describe("latency", () => {
  it("prefers the backend with the faster time to first byte", () => {
    const { strategy } = setup();
    strategy.onResult("b0", "success", 300);
    strategy.onResult("b1", "success", 100);
    strategy.onResult("b2", "success", 200);
    for (let i = 0; i < 10; i++) expect(strategy.pick(candidates(3), { model: "m" })!.id).toBe("b1");
  });

  it("weighs the estimate by requests in flight", () => {
    const { strategy } = setup();
    strategy.onResult("b0", "success", 100);
    strategy.onResult("b1", "success", 250);
    // 100 × (2 + 1) = 300 > 250 × 1.
    expect(strategy.pick(withInflight(candidates(2), "b0", 2), { model: "m" })!.id).toBe("b1");
    expect(strategy.pick(withInflight(candidates(2), "b0", 1), { model: "m" })!.id).toBe("b0");
  });

  it("explores a backend with no sample yet, one request at a time", () => {
    const { strategy } = setup();
    strategy.onResult("b0", "success", 10);
    strategy.onResult("b1", "success", 10);
    const pool = candidates(3);
    expect(strategy.pick(pool, { model: "m" })!.id).toBe("b2");
    // While its first request is in flight it is scored like the best known backend, not as free.
    expect(strategy.pick(withInflight(pool, "b2", 1), { model: "m" })!.id).not.toBe("b2");
  });

  it("spreads over backends that have no samples at all", () => {
    const { strategy } = setup();
    const counts = tally(40, () => strategy.pick(candidates(4), { model: "m" }));
    expect([...counts.values()]).toEqual([10, 10, 10, 10]);
  });

  it("takes a slow spike at once, then recovers as normal samples decay it", () => {
    const { clock, strategy } = setup({ decayMs: 10_000 });
    const busy = withInflight(candidates(2), "b0", 1);
    strategy.onResult("b0", "success", 100);
    strategy.onResult("b1", "success", 100);
    expect(strategy.pick(busy, { model: "m" })!.id).toBe("b1");
    clock.now = 1_000;
    strategy.onResult("b1", "success", 2_000);
    expect(strategy.pick(busy, { model: "m" })!.id).toBe("b0");
    for (let second = 2; second <= 60; second++) {
      clock.now = second * 1_000;
      strategy.onResult("b0", "success", 100);
      strategy.onResult("b1", "success", 100);
    }
    expect(strategy.pick(busy, { model: "m" })!.id).toBe("b1");
  });

  it("retries a backend that spiked and then got no traffic, once its estimate has relaxed", () => {
    const { clock, strategy } = setup({ decayMs: 10_000 });
    strategy.onResult("b1", "success", 2_000);
    for (let second = 0; second <= 40; second++) {
      clock.now = second * 1_000;
      strategy.onResult("b0", "success", 100);
      if (second === 5) expect(strategy.pick(candidates(2), { model: "m" })!.id).toBe("b0");
    }
    // 2000 × e^(−40 s / 10 s) ≈ 37 ms < 100 ms.
    expect(strategy.pick(candidates(2), { model: "m" })!.id).toBe("b1");
  });

  it("counts a failure as at least the penalty latency", () => {
    const { strategy } = setup({ failurePenaltyMs: 5_000 });
    strategy.onResult("b0", "success", 100);
    strategy.onResult("b1", "success", 1_000);
    strategy.onResult("b0", "failure", 3);
    expect(strategy.pick(candidates(2), { model: "m" })!.id).toBe("b1");
  });

  it("explores a forgotten backend again", () => {
    const { strategy } = setup();
    strategy.onResult("b0", "success", 10);
    strategy.onResult("b1", "success", 900);
    strategy.forget("b1");
    expect(strategy.pick(candidates(2), { model: "m" })!.id).toBe("b1");
  });

  it("ignores a latency that is not a number", () => {
    const { strategy } = setup();
    strategy.onResult("b0", "success", 100);
    strategy.onResult("b0", "success", Number.NaN);
    strategy.onResult("b1", "success", 200);
    expect(strategy.pick(candidates(2), { model: "m" })!.id).toBe("b0");
  });
});
