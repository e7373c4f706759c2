import { describe, expect, it } from "vitest";
import {
  computeProtocolVerdicts,
  renderProtocolCosts,
  renderProtocolVerdictLines,
} from "../../bench/overhead-protocol-report.js";
import type { Flavour } from "../../bench/overhead-protocols.js";
import { computeVerdicts, type PhaseFigures, type TargetReport } from "../../bench/overhead-report.js";
import type { LoadSummary } from "../../src/bench/load.js";

function summary(throughput: number, p50: number, ttfb = p50): LoadSummary {
  return {
    throughput,
    latency: { p50, p99: p50 * 3 },
    ttfb: { p50: ttfb, p99: ttfb * 3 },
    errors: { total: 0, byKind: {}, byStatus: {} },
    generatorCpuPercent: 40,
  } as unknown as LoadSummary;
}

/** A flavour's phases on the gateway: closed loop, and open loop at each rate. */
function phases(protocol: Flavour, added: number, rates: number[], cpuMs = 0.06): PhaseFigures[] {
  return (["json", "stream"] as const).flatMap((payload) => [
    {
      target: "gateway" as const,
      protocol,
      payload,
      load: "closed" as const,
      loadLabel: "64 conn",
      summary: summary(10_000 / (1 + added), 3 + added),
      targetCpuMsPerRequest: cpuMs,
    },
    ...rates.map((rate) => ({
      target: "gateway" as const,
      protocol,
      payload,
      load: "open" as const,
      loadLabel: `${rate}/s`,
      rate,
      // The chat phase at --rate is slower than at 500/s, so picking the wrong one shows.
      summary: summary(rate, (rate === 1000 ? 0.9 : 0.3) + added),
    })),
  ]);
}

function gateway(...sets: PhaseFigures[][]): TargetReport {
  return { target: "gateway", label: "gateway", status: "ok", phases: sets.flat() };
}

const find = (verdicts: ReturnType<typeof computeProtocolVerdicts>, label: string) =>
  verdicts.find((verdict) => verdict.label === label)!;

describe("computeProtocolVerdicts", () => {
  const reports = [
    gateway(
      phases("chat", 0, [1000, 500]),
      phases("responses", 0.2, [500], 0.08),
      phases("messages", 0.7, [500]),
      phases("messages-native", 0.05, [500]),
      phases("responses-store", 0.9, [500]),
    ),
  ];
  const verdicts = computeProtocolVerdicts(reports, 500);

  it("judges a bridge's added p50 and TTFB over chat at the protocol rate against 0.5 ms", () => {
    const p50 = find(verdicts, "added p50 responses over chat, json, open loop 500/s");
    expect(p50.value).toBeCloseTo(0.2);
    expect(p50.target).toEqual({ max: 0.5 });
    expect(p50.met).toBe(true);
    const ttfb = find(verdicts, "added TTFB p50 messages over chat, stream, open loop 500/s");
    expect(ttfb.value).toBeCloseTo(0.7);
    expect(ttfb.met).toBe(false);
    expect(find(verdicts, "added p99 responses over chat, json, open loop 500/s").target).toBeUndefined();
  });

  it("holds native pass-through to chat's cost, and gives store: true for reference only", () => {
    const native = find(verdicts, "added p50 messages-native over chat, json, open loop 500/s");
    expect(native.value).toBeCloseTo(0.05);
    expect(native.target).toEqual({ max: 0.2 });
    expect(native.met).toBe(true);
    const store = find(verdicts, "added p50 responses-store over chat, json, open loop 500/s");
    expect(store.value).toBeCloseTo(0.9);
    expect(store.met).toBeUndefined();
  });

  it("gives throughput and gateway CPU per request against chat, closed loop", () => {
    const cpu = find(verdicts, "reference: gateway CPU per request chat ÷ responses, json, closed loop");
    expect(cpu.value).toBeCloseTo(0.75);
    const throughput = find(verdicts, "reference: throughput responses ÷ chat, json, closed loop");
    expect(throughput.value).toBeCloseTo(1 / 1.2);
  });

  it("reports a flavour whose probe failed as not measured, and nothing without protocols", () => {
    // Chat fell behind its rate too: a flavour that never ran is still "not measured".
    const slowChat = phases("chat", 0, [1000, 500]).map((figures) =>
      figures.rate === 500 ? { ...figures, summary: summary(400, 0.3) } : figures,
    );
    const failed: TargetReport = {
      ...gateway(slowChat),
      protocolErrors: { "responses-native": "probe: HTTP 404" },
    };
    const missing = computeProtocolVerdicts([failed], 500);
    expect(missing[0]!.unjudged).toBeUndefined();
    expect(missing.map((verdict) => verdict.value)).toEqual(Array(5).fill(undefined));
    expect(renderProtocolVerdictLines([failed], 500)[0]).toContain("responses-native not measured");
    expect(computeProtocolVerdicts([gateway(phases("chat", 0, [1000]))], 500)).toEqual([]);
  });

  it("does not judge a difference when an open-loop phase fell behind its rate", () => {
    const saturated = phases("messages", -0.1, [500]).map((figures) =>
      figures.load === "open" ? { ...figures, summary: summary(400, 0.2) } : figures,
    );
    const judged = computeProtocolVerdicts([gateway(phases("chat", 0, [1000, 500]), saturated)], 500);
    const p50 = find(judged, "added p50 messages over chat, json, open loop 500/s");
    expect(p50.value).toBeCloseTo(-0.1);
    expect(p50.met).toBeUndefined();
    expect(p50.unjudged).toBe("not judged: behind 500/s");
    expect(
      renderProtocolVerdictLines([gateway(phases("chat", 0, [1000, 500]), saturated)], 500)[0],
    ).toContain("messages not judged");
  });

  it("leaves the chat verdicts on the phases at --rate", () => {
    const chat = computeVerdicts([
      {
        target: "direct",
        status: "ok",
        phases: phases("chat", 0, [1000]).map((p) => ({ ...p, target: "direct" as const })),
      },
      ...reports,
    ]);
    expect(chat.find((v) => v.label === "added p50 over direct, json, open loop")!.value).toBeCloseTo(0);
  });
});

describe("renderProtocolCosts and the verdict lines", () => {
  const reports = [gateway(phases("chat", 0, [1000, 500]), phases("responses", 0.2, [500]))];

  it("prints a row per protocol phase with what it added over chat's twin phase", () => {
    const text = renderProtocolCosts(reports);
    const row = text.split("\n").find((line) => line.startsWith("responses") && line.includes("500/s"))!;
    expect(row).toMatch(/\+0\.20/);
    expect(text).not.toMatch(/^chat/m);
    expect(renderProtocolCosts([gateway(phases("chat", 0, [1000]))])).toBe("");
  });

  it("says met or MISSED per kind", () => {
    expect(renderProtocolVerdictLines(reports, 500)).toEqual([
      "bridge: added p50 and TTFB p50 ≤ 0.5 ms over chat pass-through at 500/s — responses met (p50 +0.20 ms, TTFB p50 +0.20 ms)",
    ]);
  });
});
