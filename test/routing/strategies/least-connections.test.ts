import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import { LeastConnectionsStrategy } from "../../../src/routing/strategies/least-connections.js";
import { candidates, runStrategyConformance, tally } from "./conformance.js";

runStrategyConformance("least_connections", () => new LeastConnectionsStrategy());

function withInflight(...inflight: number[]): BackendView[] {
  return candidates(inflight.length).map((backend, index) => ({ ...backend, inflight: inflight[index]! }));
}

describe("least_connections", () => {
  it("picks the backend with the fewest requests in flight", () => {
    const strategy = new LeastConnectionsStrategy();
    for (let i = 0; i < 10; i++)
      expect(strategy.pick(withInflight(4, 1, 3, 2), { model: "m" })!.id).toBe("b1");
  });

  it("reads only inflight, not the backend's own queue", () => {
    const pool = withInflight(1, 0).map((backend, index) => ({
      ...backend,
      queueDepth: index === 1 ? 50 : 0,
    }));
    expect(new LeastConnectionsStrategy().pick(pool, { model: "m" })!.id).toBe("b1");
  });

  it("rotates among tied backends instead of always taking the first", () => {
    const strategy = new LeastConnectionsStrategy();
    const pool = withInflight(0, 5, 0, 0);
    const counts = tally(300, () => strategy.pick(pool, { model: "m" }));
    expect(counts.get("b1")).toBeUndefined();
    for (const id of ["b0", "b2", "b3"]) expect(counts.get(id)).toBeGreaterThanOrEqual(50);
  });

  it("spreads exactly evenly over idle backends", () => {
    const strategy = new LeastConnectionsStrategy();
    const picks = Array.from({ length: 8 }, () => strategy.pick(candidates(4), { model: "m" })!.id);
    expect(picks).toEqual(["b0", "b1", "b2", "b3", "b0", "b1", "b2", "b3"]);
  });

  it("keeps each model's rotation, so requests for other models in between do not skew it", () => {
    const strategy = new LeastConnectionsStrategy();
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      picks.push(strategy.pick(candidates(2), { model: "a" })!.id);
      strategy.pick(candidates(1), { model: "b" });
    }
    expect(picks).toEqual(["b0", "b1", "b0", "b1", "b0", "b1"]);
  });

  it("balances when the gateway counts its own leases", () => {
    const strategy = new LeastConnectionsStrategy();
    const inflight = [0, 0, 0];
    const pool = (): BackendView[] => withInflight(...inflight);
    for (let i = 0; i < 30; i++) inflight[Number(strategy.pick(pool(), { model: "m" })!.id.slice(1))]!++;
    expect(inflight).toEqual([10, 10, 10]);
  });
});
