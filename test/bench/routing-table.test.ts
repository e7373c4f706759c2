import { describe, expect, it } from "vitest";
import { maxOverMean } from "../../bench/routing-load.js";
import { knownStrategies, parseRoutingOptions, QUICK } from "../../bench/routing-options.js";
import { renderRoutingTable, routingRow } from "../../bench/routing-table.js";
import { sampleReport } from "./fixtures.js";

describe("bench:routing table", () => {
  it("turns a bench report into engine-time figures: times × the time scale, throughput ÷ it", () => {
    const report = { ...sampleReport(), prefixCache: { engines: 2, queries: 100, hits: 40, hitRate: 0.4 } };
    const row = routingRow({
      workload: "chat",
      strategy: "round_robin",
      rate: 8,
      engines: 4,
      timeScale: 0.5,
      report,
      engineLoads: [1, 1, 1, 5],
    });
    expect(row.ttftP50Ms).toBeCloseTo(report.overall.ttftMs.p50 * 0.5);
    expect(row.latencyP99Ms).toBeCloseTo(report.overall.latencyMs.p99 * 0.5);
    expect(row.outputTokensPerS).toBeCloseTo(report.overall.throughput.outputTokensPerS * 2);
    expect(row).toMatchObject({
      prefixCacheHitRate: 0.4,
      maxMeanLoad: 2.5,
      goodput: report.overall.goodputRatio,
    });
    // The fixture's requests went to fewer backends than the fleet has: the idle ones count in the mean.
    expect(row.maxMeanRequests).toBeGreaterThan(1);

    const text = renderRoutingTable([row, { ...row, strategy: "prefix_aware", prefixCacheHitRate: null }]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^workload\s+strategy\s+out tok\/s/);
    expect(lines[2]).toContain("40.0%");
    expect(lines[3]).toMatch(/prefix_aware/);
  });

  it("gives a closed loop's rate as requests completed per second (engine time) and its sessions", () => {
    const report = sampleReport();
    const row = routingRow({
      workload: "agent-sessions",
      strategy: "prefix_aware",
      rate: undefined,
      sessions: 128,
      engines: 4,
      timeScale: 0.5,
      report,
      engineLoads: undefined,
    });
    expect(row.rate).toBeCloseTo(report.overall.throughput.requestsPerS * 2);
    expect(row.sessions).toBe(128);
  });

  it("has no load ratio without load", () => {
    expect(maxOverMean([])).toBeUndefined();
    expect(maxOverMean([0, 0])).toBeUndefined();
    expect(maxOverMean([2, 2])).toBe(1);
  });
});

describe("bench:routing options", () => {
  it("keeps the strategies this build names as themselves, skipping aliases and unknown names", () => {
    expect(knownStrategies(["round_robin", "p2c", "no_such"])).toEqual({
      known: ["round_robin"],
      skipped: ["p2c", "no_such"],
    });
  });

  it("selects by list and shortens every run with --quick", () => {
    const options = parseRoutingOptions([
      "--strategies",
      "round_robin,prefix_aware",
      "--workloads",
      "chat",
      "--quick",
    ]);
    expect(options).toMatchObject({
      strategies: ["round_robin", "prefix_aware"],
      workloads: ["chat"],
      ...QUICK,
    });
    const defaults = parseRoutingOptions([]);
    expect(defaults.engines).toBe(4);
    // The closed-loop agent run replaces the open-loop one by default; that one stays on request.
    expect(defaults.workloads).toEqual(["agent-sessions", "chat", "hot-prefix"]);
    expect(parseRoutingOptions(["--workloads", "agent-sessions-open"]).workloads).toEqual([
      "agent-sessions-open",
    ]);
    expect(defaults.admission).toBe(false);
    expect(defaults.kvAdmission).toBe(false);
    expect(parseRoutingOptions(["--admission"]).admission).toBe(true);
    expect(parseRoutingOptions(["--kv-admission"]).kvAdmission).toBe(true);
  });
});
