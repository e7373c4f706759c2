import { describe, expect, it } from "vitest";
import { DECISIONS_KEPT, DECISIONS_PER_SECOND, RouteDecisions } from "../../src/gateway/route-decisions.js";

const decision = (requestId: string) => ({
  requestId,
  endpoint: "chat",
  model: "m",
  status: 200,
  durationMs: 1,
  answeredBy: "b1",
  picks: [{ strategy: "round_robin", picked: "b1", candidates: ["b1", "b2"], excluded: [] }],
});

describe("RouteDecisions", () => {
  it("records nothing until a console reads, and stops a minute after the last read", () => {
    let now = 1_000_000;
    const decisions = new RouteDecisions(() => now);
    expect(decisions.begin()).toBeNull();
    decisions.since(0);
    expect(decisions.begin()).not.toBeNull();
    now += 61_000;
    expect(decisions.begin()).toBeNull();
  });

  it("samples at most its rate per second", () => {
    let now = 5_000_000;
    const decisions = new RouteDecisions(() => now);
    decisions.since(0);
    const trails = Array.from({ length: DECISIONS_PER_SECOND + 20 }, () => decisions.begin());
    expect(trails.filter(Boolean)).toHaveLength(DECISIONS_PER_SECOND);
    now += 1_000;
    expect(decisions.begin()).not.toBeNull();
  });

  it("keeps a bounded ring and answers what came after a sequence number", () => {
    const decisions = new RouteDecisions(() => 0);
    for (let i = 0; i < DECISIONS_KEPT + 10; i++) decisions.record(decision(`r${i}`));
    const all = decisions.since(0);
    expect(all).toHaveLength(DECISIONS_KEPT);
    expect(all[0]?.requestId).toBe("r10");
    const last = all.at(-1)!;
    expect(decisions.since(last.seq - 2).map((entry) => entry.requestId)).toEqual([
      `r${DECISIONS_KEPT + 8}`,
      `r${DECISIONS_KEPT + 9}`,
    ]);
    expect(decisions.since(last.seq)).toEqual([]);
  });

  it("notes a failed pick on the trail", () => {
    const decisions = new RouteDecisions(() => 0);
    decisions.since(0);
    const trail = decisions.begin()!;
    trail.pick({ strategy: "s", picked: "b1", candidates: ["b1"], excluded: ["b2: unhealthy"] });
    trail.failed("HTTP 500");
    expect(trail.picks[0]?.failure).toBe("HTTP 500");
  });
});
