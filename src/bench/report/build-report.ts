/**
 * Turns a finished run (its options, aggregates and measured window) into the `BenchReport` that
 * report.json holds and the HTML report and `--compare` read. Pure apart from the clock and the
 * environment the caller passes in.
 * @module
 */
import type { PrefixCacheFigures } from "../engine-metrics.js";
import { formatLength } from "../llm/lengths.js";
import type { BenchOptions } from "../options.js";
import type { BenchStats } from "../stats/bench-stats.js";
import { cdfPoints, histogramBins } from "../stats/chart-data.js";
import type { GroupStats } from "../stats/group-stats.js";
import {
  type BenchEnvironment,
  type BenchParameters,
  type BenchReport,
  type GroupCharts,
  REPORT_SCHEMA,
} from "./report-types.js";

/** The options as report.json records them: defaults filled in, the API key left out. */
export function reportParameters(options: BenchOptions): BenchParameters {
  const mode = options.mode;
  const parameters: BenchParameters = {
    url: options.url,
    protocol: options.protocol,
    models: options.models.map(({ model, share }) => ({ model, share })),
    stream: options.stream,
    mode: mode.kind,
    concurrency: mode.kind === "closed" ? mode.concurrency : (mode.maxInflight ?? 0),
    durationS: options.durationS,
    warmupS: options.warmupS,
    promptTokens: formatLength(options.promptTokens),
    outputTokens: formatLength(options.outputTokens),
    maxTokens: options.maxTokens,
    slo: {},
    timeoutS: options.timeoutS,
    seed: options.seed,
  };
  if (mode.kind === "open") {
    parameters.rate = mode.rate;
    parameters.arrivals = mode.arrivals ?? "constant";
  }
  if (options.requests !== undefined) parameters.requests = options.requests;
  if (options.promptsFile !== undefined) parameters.promptsFile = options.promptsFile;
  if (options.workload !== "synthetic") parameters.workload = options.workload;
  if (options.workload === "agent-sessions" && options.sessions !== undefined)
    parameters.sessions = options.sessions;
  if (options.slo.ttftMs !== undefined) parameters.slo.ttftMs = options.slo.ttftMs;
  if (options.slo.latencyMs !== undefined) parameters.slo.latencyMs = options.slo.latencyMs;
  if (options.configFile !== undefined) parameters.configFile = options.configFile;
  return parameters;
}

export function groupCharts(group: GroupStats, elapsedMs: number): GroupCharts {
  return {
    latencyCdf: cdfPoints(group.latency),
    ttftCdf: cdfPoints(group.ttft),
    ttftHistogram: histogramBins(group.ttft),
    timeline: group.timeline.buckets(elapsedMs),
  };
}

export interface RunRecord {
  options: BenchOptions;
  stats: BenchStats;
  /** The measured window, in ms. */
  elapsedMs: number;
  startedAt: Date;
  finishedAt: Date;
  interrupted: boolean;
  environment: BenchEnvironment;
  prefixCache?: PrefixCacheFigures | undefined;
}

export function buildReport(run: RunRecord): BenchReport {
  const { stats, elapsedMs, options } = run;
  const models = options.models.map(({ model, share }) => {
    const group = stats.models.get(model);
    if (!group) throw new Error(`no figures for model ${model}`);
    const backends = Object.fromEntries([...(stats.routing.get(model) ?? new Map<string, number>())]);
    return { model, share, ...group.summary(elapsedMs), backends, charts: groupCharts(group, elapsedMs) };
  });
  const backends = [...stats.backends]
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([backend, group]) => ({ backend, ...group.summary(elapsedMs) }));
  return {
    schema: REPORT_SCHEMA,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    interrupted: run.interrupted,
    durationS: elapsedMs / 1000,
    parameters: reportParameters(options),
    environment: run.environment,
    overall: { ...stats.overall.summary(elapsedMs), charts: groupCharts(stats.overall, elapsedMs) },
    models,
    backends,
    ...(run.prefixCache ? { prefixCache: run.prefixCache } : {}),
  };
}
