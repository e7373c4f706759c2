import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import {
  LeastLoadedStrategy,
  loadRatio,
  UNCAPPED_CAPACITY,
} from "../../../src/routing/strategies/least-loaded.js";
import { candidates, runStrategyConformance, tally } from "./conformance.js";

runStrategyConformance("least_loaded", () => new LeastLoadedStrategy());

type Load = Pick<BackendView, "inflight" | "queueDepth" | "maxConnections">;

function pool(...loads: Partial<Load>[]): BackendView[] {
  return candidates(loads.length).map((backend, index) => ({ ...backend, ...loads[index] }));
}

describe("least_loaded", () => {
  it("compares load as a share of capacity, not as a count", () => {
    // 6 of 8 is fuller than 10 of 40.
    const backends = pool({ inflight: 6, maxConnections: 8 }, { inflight: 10, maxConnections: 40 });
    expect(new LeastLoadedStrategy().pick(backends, { model: "m" })!.id).toBe("b1");
  });

  it("counts the backend's own queue", () => {
    const backends = pool(
      { inflight: 1, queueDepth: 9, maxConnections: 10 },
      { inflight: 5, maxConnections: 10 },
    );
    expect(new LeastLoadedStrategy().pick(backends, { model: "m" })!.id).toBe("b1");
  });

  it("treats an uncapped backend as having a large default capacity", () => {
    expect(loadRatio(pool({ inflight: 16 })[0]!)).toBe(16 / UNCAPPED_CAPACITY);
    const backends = pool({ inflight: 16 }, { inflight: 2, maxConnections: 4 });
    expect(new LeastLoadedStrategy().pick(backends, { model: "m" })!.id).toBe("b0");
  });

  it("rotates among equal ratios", () => {
    const strategy = new LeastLoadedStrategy();
    const backends = pool(
      { inflight: 1, maxConnections: 2 },
      { inflight: 2, maxConnections: 4 },
      { inflight: 3, maxConnections: 4 },
      { inflight: 5, maxConnections: 10 },
    );
    const counts = tally(300, () => strategy.pick(backends, { model: "m" }));
    expect(counts.get("b2")).toBeUndefined();
    for (const id of ["b0", "b1", "b3"]) expect(counts.get(id)).toBeGreaterThanOrEqual(50);
  });

  it("fills backends in proportion to their capacity when the gateway counts its leases", () => {
    const strategy = new LeastLoadedStrategy();
    const inflight = [0, 0];
    const caps = [10, 30];
    for (let i = 0; i < 40; i++) {
      const backends = pool(
        { inflight: inflight[0]!, maxConnections: caps[0]! },
        { inflight: inflight[1]!, maxConnections: caps[1]! },
      );
      inflight[Number(strategy.pick(backends, { model: "m" })!.id.slice(1))]!++;
    }
    expect(inflight).toEqual([10, 30]);
  });
});
