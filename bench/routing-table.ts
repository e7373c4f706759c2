/**
 * The A/B table of `bench:routing`: one row per workload and strategy, its figures in engine time
 * (the run's wall-clock times × the engines' time scale, throughput ÷ it), as plain text and as
 * the JSON `--json` writes. A figure that could not be measured is null in JSON and "-" in text.
 * @module
 */
import { formatMs, formatPercent, formatRate, formatRatio, renderTable } from "../src/bench/format.js";
import type { BenchReport } from "../src/bench/report/report-types.js";
import { maxOverMean } from "./routing-load.js";

export const ROUTING_SCHEMA = "switchyard-bench-routing/1";

/** One strategy on one workload. Times in ms and rates per second, in engine time. */
export interface RoutingRow {
  workload: string;
  strategy: string;
  /** Arrivals per second offered; in a closed loop, requests completed per second. */
  rate: number;
  /** Closed loop: the concurrent sessions (each one turn in flight or thinking); null: open loop. */
  sessions: number | null;
  /** The engines' simulated seconds per wall second in this run. */
  timeScale: number;
  sent: number;
  ok: number;
  failed: number;
  outputTokensPerS: number;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Share of sent requests that succeeded within the TTFT SLO. */
  goodput: number;
  /** Prompt tokens the engines found in their prefix caches ÷ prompt tokens looked up. */
  prefixCacheHitRate: number | null;
  /** The busiest engine's average (running + waiting) over the fleet's mean; null without gauges. */
  maxMeanLoad: number | null;
  /** The busiest engine's requests over the mean per engine. */
  maxMeanRequests: number | null;
}

export interface RowInput {
  workload: string;
  strategy: string;
  /** Arrivals per second offered, in engine time; undefined for a closed loop (the sessions set it). */
  rate: number | undefined;
  /** Closed loop: its concurrent sessions. */
  sessions?: number | undefined;
  engines: number;
  timeScale: number;
  report: BenchReport;
  /** Each engine's average load over the window, when its gauges could be read. */
  engineLoads: readonly number[] | undefined;
}

function scaled(count: number, value: number, factor: number): number | null {
  return count > 0 && Number.isFinite(value) ? value * factor : null;
}

export function routingRow(input: RowInput): RoutingRow {
  const { report, timeScale } = input;
  const overall = report.overall;
  const served = report.backends.map((backend) => backend.requests.ok);
  // Engines that served nothing still count in the mean.
  const perEngine = [...served, ...Array(Math.max(0, input.engines - served.length)).fill(0)];
  return {
    workload: input.workload,
    strategy: input.strategy,
    rate: input.rate ?? overall.throughput.requestsPerS / timeScale,
    sessions: input.sessions ?? null,
    timeScale,
    sent: overall.requests.sent,
    ok: overall.requests.ok,
    failed: overall.requests.failed,
    outputTokensPerS: overall.throughput.outputTokensPerS / timeScale,
    ttftP50Ms: scaled(overall.ttftMs.count, overall.ttftMs.p50, timeScale),
    ttftP99Ms: scaled(overall.ttftMs.count, overall.ttftMs.p99, timeScale),
    latencyP50Ms: scaled(overall.latencyMs.count, overall.latencyMs.p50, timeScale),
    latencyP99Ms: scaled(overall.latencyMs.count, overall.latencyMs.p99, timeScale),
    goodput: overall.goodputRatio,
    prefixCacheHitRate: report.prefixCache?.hitRate ?? null,
    maxMeanLoad: (input.engineLoads && maxOverMean(input.engineLoads)) ?? null,
    maxMeanRequests: maxOverMean(perEngine) ?? null,
  };
}

const HEADER = [
  "workload",
  "strategy",
  "out tok/s",
  "TTFT p50",
  "TTFT p99",
  "latency p50",
  "latency p99",
  "goodput",
  "prefix hits",
  "max/mean load",
  "failed",
];

function cell(value: number | null, format: (value: number) => string): string {
  return value === null ? "-" : format(value);
}

/** The table as text: times in ms; load from the engines' gauges, else from requests served. */
export function renderRoutingTable(rows: readonly RoutingRow[]): string {
  const lines = rows.map((row) => [
    row.workload,
    row.strategy,
    formatRate(row.outputTokensPerS),
    cell(row.ttftP50Ms, formatMs),
    cell(row.ttftP99Ms, formatMs),
    cell(row.latencyP50Ms, formatMs),
    cell(row.latencyP99Ms, formatMs),
    formatPercent(row.goodput),
    cell(row.prefixCacheHitRate, formatPercent),
    cell(row.maxMeanLoad ?? row.maxMeanRequests, formatRatio),
    String(row.failed),
  ]);
  return renderTable(
    HEADER,
    lines,
    HEADER.map((_, i) => (i < 2 ? "left" : "right")),
  );
}

export interface RoutingResult {
  schema: typeof ROUTING_SCHEMA;
  startedAt: string;
  /** Whether the engines were simulated (false: plain mocks, every strategy alike). */
  engineSim: boolean;
  engines: number;
  /** Requests per second the host sent (the time scale of each run follows from it). */
  wallRate: number;
  ttftSloMs: number;
  /** Whether the gateway had the SLO as its `ttft_slo` (shedding with 429, counted as failed). */
  admission: boolean;
  /** Measured requests per run, after `warmup` unmeasured ones. */
  requests: number;
  warmup: number;
  seed: number;
  /** Strategies asked for that this build does not know. */
  skipped: string[];
  rows: RoutingRow[];
}
