import { describe, expect, it } from "vitest";
import { renderPhases, type TargetReport } from "../../bench/overhead-report.js";
import {
  computeVariantVerdicts,
  type GatewayVariant,
  gatewayVariants,
  parseWorkerCounts,
  REDIS_BENCH_CAP,
  variantLabel,
} from "../../bench/overhead-variants.js";
import type { LoadSummary } from "../../src/bench/load.js";

/** The parts of a summary the verdicts and the table read. */
function summary(throughput: number, p50: number, p99: number): LoadSummary {
  return {
    throughput,
    latency: { p50, p99 },
    ttfb: { p50, p99 },
    errors: { total: 0, byKind: {}, byStatus: {} },
    generatorCpuPercent: 40,
  } as unknown as LoadSummary;
}

function report(variant: GatewayVariant, throughput: number, p50: number, cpuMs: number): TargetReport {
  const phases = (["json", "stream"] as const).flatMap((payload) => [
    {
      target: "gateway" as const,
      payload,
      load: "closed" as const,
      loadLabel: "64 conn",
      summary: summary(throughput, 3, 10),
      targetCpuMsPerRequest: cpuMs,
      ...(variant.state === "redis" ? { redisCpuMsPerRequest: 0.009 } : {}),
    },
    {
      target: "gateway" as const,
      payload,
      load: "open" as const,
      loadLabel: "1000/s",
      summary: summary(1000, p50, p50 * 4),
    },
  ]);
  return { target: "gateway", label: variantLabel(variant), variant, status: "ok", phases };
}

describe("parseWorkerCounts", () => {
  it("reads N as 1 and N, and a list as itself, sorted and without duplicates", () => {
    expect(parseWorkerCounts("2")).toEqual([1, 2]);
    expect(parseWorkerCounts("1")).toEqual([1]);
    expect(parseWorkerCounts("4, 1,2,2")).toEqual([1, 2, 4]);
  });

  it("refuses what is not a list of whole numbers ≥ 1", () => {
    for (const text of ["0", "-1", "1.5", "two", "1,,2", ""]) expect(parseWorkerCounts(text)).toBeUndefined();
  });
});

describe("gatewayVariants", () => {
  it("is one uncapped memory gateway by default", () => {
    expect(gatewayVariants({ redis: false, workers: [1] })).toEqual([
      { state: "memory", workers: 1, cap: 0, accessLog: false },
    ]);
  });

  it("with --redis caps both variants far above the load, memory first", () => {
    expect(gatewayVariants({ redis: true, workers: [1] })).toEqual([
      { state: "memory", workers: 1, cap: REDIS_BENCH_CAP, accessLog: false },
      { state: "redis", workers: 1, cap: REDIS_BENCH_CAP, accessLog: false },
    ]);
  });

  it("crosses worker counts with states and keeps an explicit cap", () => {
    const variants = gatewayVariants({ redis: true, workers: [1, 2], cap: 50 });
    expect(variants.map(variantLabel)).toEqual([
      "gateway",
      "gateway redis",
      "gateway ×2",
      "gateway redis ×2",
    ]);
    expect(variants.every((variant) => variant.cap === 50)).toBe(true);
  });

  it("with --access-log runs each variant with the log off, then on", () => {
    const variants = gatewayVariants({ redis: false, workers: [1, 2], accessLog: true });
    expect(variants.map(variantLabel)).toEqual(["gateway", "gateway log", "gateway ×2", "gateway log ×2"]);
  });
});

describe("computeVariantVerdicts", () => {
  const memory: GatewayVariant = { state: "memory", workers: 1, cap: REDIS_BENCH_CAP, accessLog: false };
  const redis: GatewayVariant = { state: "redis", workers: 1, cap: REDIS_BENCH_CAP, accessLog: false };

  it("judges Redis ÷ memory throughput against the 15 % target and gives the added latency", () => {
    const reports = [report(memory, 10_000, 0.3, 0.06), report(redis, 9_000, 0.45, 0.075)];
    const verdicts = computeVariantVerdicts(reports, [memory, redis]);
    const json = verdicts.find((v) => v.label === "throughput redis ÷ memory, json, closed loop")!;
    expect(json.value).toBeCloseTo(0.9);
    expect(json.met).toBe(true);
    const added = verdicts.find((v) => v.label === "added p50 redis over memory, json, open loop")!;
    expect(added.value).toBeCloseTo(0.15);
    expect(added.met).toBeUndefined();
    const cpu = verdicts.find((v) => v.label.startsWith("reference: CPU per request memory ÷ redis"))!;
    expect(cpu.value).toBeCloseTo(0.8);
  });

  it("reports a miss below 0.85, and n/a for a variant that did not run", () => {
    const slow = computeVariantVerdicts(
      [report(memory, 10_000, 0.3, 0.06), report(redis, 8_000, 0.5, 0.09)],
      [memory, redis],
    );
    expect(slow[0]!.met).toBe(false);
    const missing = computeVariantVerdicts([report(memory, 10_000, 0.3, 0.06)], [memory, redis]);
    expect(missing[0]!.value).toBeUndefined();
    expect(missing[0]!.met).toBeUndefined();
  });

  it("compares N workers with 1, for reference only", () => {
    const one: GatewayVariant = { state: "memory", workers: 1, cap: 0, accessLog: false };
    const two: GatewayVariant = { state: "memory", workers: 2, cap: 0, accessLog: false };
    const verdicts = computeVariantVerdicts(
      [report(one, 10_000, 0.3, 0.06), report(two, 12_000, 0.35, 0.07)],
      [one, two],
    );
    const json = verdicts.find((v) => v.label === "throughput ×2 ÷ ×1, json, closed loop")!;
    expect(json.value).toBeCloseTo(1.2);
    expect(json.target).toBeUndefined();
    expect(verdicts.some((v) => v.label.includes("redis"))).toBe(false);
  });

  it("compares the access log on with off, for reference only", () => {
    const off: GatewayVariant = { state: "memory", workers: 1, cap: 0, accessLog: false };
    const on: GatewayVariant = { state: "memory", workers: 1, cap: 0, accessLog: true };
    const verdicts = computeVariantVerdicts(
      [report(off, 10_000, 0.3, 0.06), report(on, 9_500, 0.32, 0.065)],
      [off, on],
    );
    const json = verdicts.find((v) => v.label === "throughput log on ÷ log off, json, closed loop")!;
    expect(json.value).toBeCloseTo(0.95);
    expect(json.target).toBeUndefined();
    const added = verdicts.find((v) => v.label === "added p50 log on over log off, json, open loop")!;
    expect(added.value).toBeCloseTo(0.02);
  });

  it("with --otel runs the gateway with export off, then on, and compares them for reference", () => {
    const variants = gatewayVariants({ redis: false, workers: [1], otel: true });
    expect(variants.map(variantLabel)).toEqual(["gateway", "gateway otel"]);
    const [off, on] = variants as [GatewayVariant, GatewayVariant];
    const verdicts = computeVariantVerdicts(
      [report(off, 10_000, 0.3, 0.06), report(on, 9_000, 0.35, 0.07)],
      variants,
    );
    const json = verdicts.find((v) => v.label === "throughput otel on ÷ otel off, json, closed loop")!;
    expect(json.value).toBeCloseTo(0.9);
    expect(json.target).toBeUndefined();
    const added = verdicts.find((v) => v.label === "added p50 otel on over otel off, json, open loop")!;
    expect(added.value).toBeCloseTo(0.05);
  });
});

describe("renderPhases with variants", () => {
  it("labels each gateway row with its variant and adds Redis's CPU column", () => {
    const text = renderPhases([
      report({ state: "memory", workers: 1, cap: 1, accessLog: false }, 10_000, 0.3, 0.06),
      report({ state: "redis", workers: 2, cap: 1, accessLog: false }, 9_000, 0.4, 0.07),
    ]);
    expect(text.split("\n")[0]).toContain("redis µs/req");
    const redisRow = text.split("\n").find((line) => line.startsWith("gateway redis ×2"))!;
    expect(redisRow).toMatch(/\s9\s/);
  });
});
