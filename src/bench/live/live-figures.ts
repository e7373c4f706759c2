/**
 * What the live views show, computed from the aggregates at one instant: per model, the counts, the
 * current rates (over the last few whole seconds), TTFT, latency and inter-token percentiles, a
 * throughput history for the sparkline, errors by kind, and the spread over backends. Pure data, so
 * the ink panes and the plain lines render the same figures and tests can build them by hand.
 * @module
 */
import type { LoadProgress } from "../load-types.js";
import type { BenchStats } from "../stats/bench-stats.js";
import type { GroupStats } from "../stats/group-stats.js";

/** Undefined fields: nothing recorded yet (the views show "-"). */
export interface Percentiles {
  p50: number | undefined;
  p90: number | undefined;
  p99: number | undefined;
}

export interface ModelFigures {
  model: string;
  done: number;
  failed: number;
  /** Completions per second, recent. */
  ratePerS: number;
  /** Output tokens per second, recent. */
  outputTokensPerS: number;
  ttftMs: Percentiles;
  latencyMs: Percentiles;
  interTokenMs: Percentiles;
  /** Output tokens per second in each of the last seconds, oldest first. */
  throughputHistory: number[];
  /** `timeout`, `HTTP 503`, …, most frequent first. */
  errors: { label: string; count: number }[];
  backends: { backend: string; count: number }[];
}

export interface LiveState {
  phase: LoadProgress["phase"] | "starting" | "done";
  elapsedS: number;
  durationS: number;
  inflight: number;
  /** Ctrl-C was pressed once: no new requests, the ones in flight are finishing. */
  stopping: boolean;
  models: ModelFigures[];
}

/** The window of the "current" rates. */
export const RATE_WINDOW_MS = 3_000;
/** Seconds of throughput history a sparkline shows. */
export const HISTORY_SECONDS = 40;

function percentiles(group: GroupStats, histogram: "ttft" | "latency" | "interToken"): Percentiles {
  const source = group[histogram];
  if (source.count === 0) return { p50: undefined, p90: undefined, p99: undefined };
  return { p50: source.percentileMs(50), p90: source.percentileMs(90), p99: source.percentileMs(99) };
}

export function errorLabels(group: GroupStats): { label: string; count: number }[] {
  const labels: { label: string; count: number }[] = [];
  for (const [kind, count] of Object.entries(group.errors.byKind))
    if (kind !== "status" && count) labels.push({ label: kind, count });
  for (const [status, count] of Object.entries(group.errors.byStatus))
    labels.push({ label: `HTTP ${status}`, count });
  return labels.sort((a, b) => b.count - a.count);
}

export function modelFigures(
  model: string,
  group: GroupStats,
  routing: ReadonlyMap<string, number> | undefined,
  nowMs: number,
): ModelFigures {
  const rate = group.timeline.rate(nowMs, RATE_WINDOW_MS);
  return {
    model,
    done: group.ok,
    failed: group.errors.total,
    ratePerS: rate.requests,
    outputTokensPerS: rate.outputTokens,
    ttftMs: percentiles(group, "ttft"),
    latencyMs: percentiles(group, "latency"),
    interTokenMs: percentiles(group, "interToken"),
    throughputHistory: group.timeline.recentTokenRates(nowMs, HISTORY_SECONDS),
    errors: errorLabels(group),
    backends: [...(routing ?? new Map<string, number>())]
      .map(([backend, count]) => ({ backend, count }))
      .sort((a, b) => a.backend.localeCompare(b.backend, "en", { numeric: true })),
  };
}

/** The live state at `nowMs` (ms since the start of the measured window). */
export function liveState(
  stats: BenchStats,
  progress: LoadProgress | undefined,
  run: { durationS: number; warmupS: number; stopping: boolean },
  nowMs: number,
): LiveState {
  return {
    phase: progress?.phase ?? "starting",
    elapsedS: Math.max(0, nowMs / 1000),
    durationS: run.durationS,
    inflight: progress?.inflight ?? 0,
    stopping: run.stopping,
    models: [...stats.models].map(([model, group]) =>
      modelFigures(model, group, stats.routing.get(model), nowMs),
    ),
  };
}
