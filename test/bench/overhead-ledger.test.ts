/** `bench:overhead --ledger`: the ledger variants beside the ledger off, and what the ledger adds, judged against 0.1 ms p50. */
import { describe, expect, it } from "vitest";
import { parseOptions } from "../../bench/overhead-options.js";
import type { TargetReport } from "../../bench/overhead-report.js";
import {
  computeVariantVerdicts,
  type GatewayVariant,
  gatewayVariants,
  variantLabel,
} from "../../bench/overhead-variants.js";
import type { LoadSummary } from "../../src/bench/load.js";

function summary(throughput: number, p50: number): LoadSummary {
  return {
    throughput,
    latency: { p50, p99: p50 * 4 },
    ttfb: { p50, p99: p50 * 4 },
    errors: { total: 0, byKind: {}, byStatus: {} },
    generatorCpuPercent: 40,
  } as unknown as LoadSummary;
}

function report(variant: GatewayVariant, p50: number, cpuMs: number): TargetReport {
  const phases = (["json", "stream"] as const).flatMap((payload) => [
    {
      target: "gateway" as const,
      payload,
      load: "closed" as const,
      loadLabel: "64 conn",
      summary: summary(10_000, 3),
      targetCpuMsPerRequest: cpuMs,
    },
    {
      target: "gateway" as const,
      payload,
      load: "open" as const,
      loadLabel: "1000/s",
      summary: summary(1000, p50),
    },
  ]);
  return { target: "gateway", label: variantLabel(variant), variant, status: "ok", phases };
}

describe("bench:overhead --ledger", () => {
  it("reads embedded, postgres and both, and refuses anything else", () => {
    expect(parseOptions([]).ledger).toEqual([]);
    expect(parseOptions(["--ledger", "embedded"]).ledger).toEqual(["embedded"]);
    expect(parseOptions(["--ledger", "both"]).ledger).toEqual(["embedded", "postgres"]);
  });

  it("runs the gateway with the ledger off first, then in each database", () => {
    const variants = gatewayVariants({ redis: false, workers: [1], ledger: ["embedded", "postgres"] });
    expect(variants.map(variantLabel)).toEqual([
      "gateway",
      "gateway ledger-embedded",
      "gateway ledger-postgres",
    ]);
  });

  it("judges each database's added p50 against 0.1 ms and gives the CPU it adds per request", () => {
    const variants = gatewayVariants({ redis: false, workers: [1], ledger: ["embedded", "postgres"] });
    const [off, embedded, postgres] = variants as [GatewayVariant, GatewayVariant, GatewayVariant];
    const verdicts = computeVariantVerdicts(
      [report(off, 0.3, 0.25), report(embedded, 0.35, 0.3), report(postgres, 0.5, 0.4)],
      variants,
    );
    const added = (kind: string) =>
      verdicts.find((v) => v.label === `added p50 ledger-${kind} over ledger off, json, open loop`)!;
    expect(added("embedded")).toMatchObject({ target: { max: 0.1 }, met: true });
    expect(added("embedded").value).toBeCloseTo(0.05);
    expect(added("postgres")).toMatchObject({ met: false });
    const cpu = verdicts.find(
      (v) =>
        v.label === "reference: CPU per request added ledger-embedded over ledger off, json, closed loop",
    )!;
    expect(cpu.value).toBeCloseTo(0.05);
  });
});
