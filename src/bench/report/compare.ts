/**
 * `--compare A.json B.json`: the same figures of two runs side by side with the ratio B / A, for the
 * whole run and for every model both ran, each marked better, worse or the same (within 2 %) by which
 * direction is good for that figure.
 * @module
 */
import type { GroupSummary } from "../stats/group-stats.js";
import { type BenchReport, REPORT_SCHEMA } from "./report-types.js";

export type Direction = "higher" | "lower";
export type Verdict = "better" | "worse" | "same";

/** How a figure is written: a rate, milliseconds, a fraction or a whole count. */
export type MetricUnit = "rate" | "ms" | "fraction" | "count";

interface MetricSpec {
  label: string;
  better: Direction;
  unit: MetricUnit;
  read(group: GroupSummary): number;
}

export const COMPARED_METRICS: readonly MetricSpec[] = [
  { label: "requests/s", better: "higher", unit: "rate", read: (g) => g.throughput.requestsPerS },
  { label: "output tokens/s", better: "higher", unit: "rate", read: (g) => g.throughput.outputTokensPerS },
  { label: "goodput/s", better: "higher", unit: "rate", read: (g) => g.throughput.goodputPerS },
  { label: "goodput ratio", better: "higher", unit: "fraction", read: (g) => g.goodputRatio },
  { label: "failed", better: "lower", unit: "count", read: (g) => g.requests.failed },
  { label: "TTFT p50 (ms)", better: "lower", unit: "ms", read: (g) => g.ttftMs.p50 },
  { label: "TTFT p90 (ms)", better: "lower", unit: "ms", read: (g) => g.ttftMs.p90 },
  { label: "TTFT p99 (ms)", better: "lower", unit: "ms", read: (g) => g.ttftMs.p99 },
  { label: "latency p50 (ms)", better: "lower", unit: "ms", read: (g) => g.latencyMs.p50 },
  { label: "latency p90 (ms)", better: "lower", unit: "ms", read: (g) => g.latencyMs.p90 },
  { label: "latency p99 (ms)", better: "lower", unit: "ms", read: (g) => g.latencyMs.p99 },
  { label: "ITL p50 (ms)", better: "lower", unit: "ms", read: (g) => g.interTokenMs.p50 },
  { label: "ITL p99 (ms)", better: "lower", unit: "ms", read: (g) => g.interTokenMs.p99 },
  {
    label: "tokens/s per request p50",
    better: "higher",
    unit: "rate",
    read: (g) => g.tokensPerSecondPerRequest.p50,
  },
];

/** Ratios within this much of 1 count as "the same". */
export const SAME_WITHIN = 0.02;

export interface MetricComparison {
  label: string;
  better: Direction;
  unit: MetricUnit;
  a: number;
  b: number;
  /** b / a; undefined when a is 0. */
  ratio: number | undefined;
  verdict: Verdict;
}

export interface GroupComparison {
  name: string;
  metrics: MetricComparison[];
}

export interface Comparison {
  a: BenchReport;
  b: BenchReport;
  groups: GroupComparison[];
}

export function verdictOf(a: number, b: number, better: Direction): Verdict {
  if (a === b) return "same";
  if (a === 0) return b > 0 === (better === "higher") ? "better" : "worse";
  const ratio = b / a;
  if (Math.abs(ratio - 1) <= SAME_WITHIN) return "same";
  return ratio > 1 === (better === "higher") ? "better" : "worse";
}

export function compareGroups(name: string, a: GroupSummary, b: GroupSummary): GroupComparison {
  return {
    name,
    metrics: COMPARED_METRICS.map((metric) => {
      const valueA = metric.read(a);
      const valueB = metric.read(b);
      return {
        label: metric.label,
        better: metric.better,
        unit: metric.unit,
        a: valueA,
        b: valueB,
        ratio: valueA !== 0 ? valueB / valueA : undefined,
        verdict: verdictOf(valueA, valueB, metric.better),
      };
    }),
  };
}

/** The whole runs first, then each model present in both (in A's order). */
export function compareReports(a: BenchReport, b: BenchReport): Comparison {
  const groups = [compareGroups("all requests", a.overall, b.overall)];
  for (const model of a.models) {
    const other = b.models.find((candidate) => candidate.model === model.model);
    if (other && (a.models.length > 1 || b.models.length > 1))
      groups.push(compareGroups(model.model, model, other));
  }
  return { a, b, groups };
}

/** Checks that a parsed file is a bench report this version can read. */
export function asBenchReport(value: unknown, source: string): BenchReport {
  const report = value as Partial<BenchReport> | null;
  if (typeof report !== "object" || report === null || report.schema !== REPORT_SCHEMA)
    throw new Error(`${source} is not a switchyard bench report (expected schema "${REPORT_SCHEMA}")`);
  if (!report.overall || !Array.isArray(report.models) || !report.parameters)
    throw new Error(`${source} is missing overall, models or parameters`);
  return report as BenchReport;
}
