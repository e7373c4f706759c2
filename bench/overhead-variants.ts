/**
 * The gateway's variants in `bench:overhead`: memory or Redis state (`--redis`), one or N worker
 * processes (`--workers`), access log off or on (`--access-log`), the request ledger off or on in the
 * embedded database or a Postgres server (`--ledger`), and the comparisons between variants of one
 * run — what shared state costs (Redis ÷ memory, docs/performance.md: ≤ 15 % of throughput), what
 * more workers buy (N ÷ 1), what a line per request costs (on ÷ off) and what the ledger adds
 * (docs/performance.md: ≤ 0.1 ms p50).
 * Pure functions.
 * @module
 */
import type { LoadSummary } from "../src/bench/load.js";
import {
  isChat,
  judge,
  type LoadShape,
  type Payload,
  type PhaseFigures,
  type TargetReport,
  type Verdict,
} from "./overhead-report.js";

export type StateKind = "memory" | "redis";

/** Where a ledger variant keeps its rows: PGlite in the gateway, or a Postgres server. */
export type LedgerKind = "embedded" | "postgres";

/** What the request ledger may add to the gateway's p50 (docs/performance.md). */
export const LEDGER_ADDED_P50_TARGET_MS = 0.1;

export interface GatewayVariant {
  state: StateKind;
  workers: number;
  /** `max_connections` of the benchmarked backend; 0: no cap, so no request touches shared state. */
  cap: number;
  /** The gateway writes its access log (one line per request). */
  accessLog: boolean;
  /** The gateway exports OpenTelemetry traces and metrics (to a sink in the bench); unset: off. */
  otel?: boolean;
  /** The request ledger's database; unset: the ledger is off. */
  ledger?: LedgerKind;
}

/** Redis-backed state must keep at least this share of memory state's throughput (docs/performance.md). */
export const REDIS_THROUGHPUT_TARGET = 0.85;

/**
 * With Redis a backend needs a cap for requests to reach the store at all (an uncapped request
 * takes no lease); this one is far above any concurrency the bench drives, so it never refuses.
 */
export const REDIS_BENCH_CAP = 100_000;

/**
 * `--workers`: `N` compares 1 and N workers; a comma-separated list (`1,2,4`) runs exactly those.
 * Returns the counts in ascending order, without duplicates; undefined for malformed text.
 */
export function parseWorkerCounts(text: string): number[] | undefined {
  const counts = text.split(",").map((part) => Number(part.trim()));
  if (counts.length === 0 || counts.some((count) => !Number.isInteger(count) || count < 1)) return undefined;
  const wanted = counts.length === 1 ? [1, counts[0]!] : counts;
  return [...new Set(wanted)].sort((a, b) => a - b);
}

/**
 * Every gateway variant of a run, the baseline (memory, fewest workers) first: the target
 * comparisons against direct and proxy use the first gateway report.
 */
export function gatewayVariants(options: {
  redis: boolean;
  workers: readonly number[];
  cap?: number | undefined;
  accessLog?: boolean | undefined;
  otel?: boolean | undefined;
  ledger?: readonly LedgerKind[] | undefined;
}): GatewayVariant[] {
  const states: StateKind[] = options.redis ? ["memory", "redis"] : ["memory"];
  const cap = options.cap ?? (options.redis ? REDIS_BENCH_CAP : 0);
  const workers = options.workers.length > 0 ? options.workers : [1];
  const accessLogs = options.accessLog ? [false, true] : [false];
  const otels = options.otel ? [false, true] : [false];
  const ledgers: (LedgerKind | undefined)[] = [undefined, ...(options.ledger ?? [])];
  return workers.flatMap((count) =>
    states.flatMap((state) =>
      accessLogs.flatMap((accessLog) =>
        otels.flatMap((otel) =>
          ledgers.map((ledger) => ({
            state,
            workers: count,
            cap,
            accessLog,
            ...(otel ? { otel } : {}),
            ...(ledger ? { ledger } : {}),
          })),
        ),
      ),
    ),
  );
}

/** `gateway`, `gateway redis`, `gateway ×2`, `gateway redis log ×2`: only what differs from the default. */
export function variantLabel(variant: GatewayVariant): string {
  return [
    "gateway",
    ...(variant.state === "redis" ? ["redis"] : []),
    ...(variant.accessLog ? ["log"] : []),
    ...(variant.otel ? ["otel"] : []),
    ...(variant.ledger ? [`ledger-${variant.ledger}`] : []),
    ...(variant.workers > 1 ? [`×${variant.workers}`] : []),
  ].join(" ");
}

function variantPhase(
  reports: readonly TargetReport[],
  side: Side,
  payload: Payload,
  load: LoadShape,
): PhaseFigures | undefined {
  return reports
    .find(
      (report) =>
        report.status === "ok" &&
        report.variant?.state === side.state &&
        report.variant.workers === side.workers &&
        (report.variant.accessLog ?? false) === (side.accessLog ?? false) &&
        (report.variant.otel ?? false) === (side.otel ?? false) &&
        report.variant.ledger === side.ledger,
    )
    ?.phases.find((figures) => isChat(figures) && figures.payload === payload && figures.load === load);
}

interface Side {
  state: StateKind;
  workers: number;
  /** Unset: off. */
  accessLog?: boolean;
  /** Unset: off. */
  otel?: boolean;
  /** Unset: off. */
  ledger?: LedgerKind;
}

/** Ratios and latency differences of `over` against `base`; `names` label them in that order. */
function compare(
  reports: readonly TargetReport[],
  names: { base: string; over: string; suffix: string },
  base: Side,
  over: Side,
  throughputTarget: number | undefined,
  addedP50Target?: number,
): Verdict[] {
  const name = `${names.over} ÷ ${names.base}${names.suffix}`;
  const versus = `${names.over} over ${names.base}${names.suffix}`;
  const figures = (side: Side, payload: Payload, load: LoadShape) =>
    variantPhase(reports, side, payload, load);
  const ratio = (payload: Payload) => {
    const b = figures(base, payload, "closed")?.summary.throughput;
    const o = figures(over, payload, "closed")?.summary.throughput;
    return b && o !== undefined ? o / b : undefined;
  };
  const added = (payload: Payload, pick: (summary: LoadSummary) => number) => {
    const b = figures(base, payload, "open");
    const o = figures(over, payload, "open");
    return b && o ? pick(o.summary) - pick(b.summary) : undefined;
  };
  const cpuRatio = () => {
    const b = figures(base, "json", "closed")?.targetCpuMsPerRequest;
    const o = figures(over, "json", "closed")?.targetCpuMsPerRequest;
    return b === undefined || !o ? undefined : b / o;
  };
  const addedCpu = () => {
    const b = figures(base, "json", "closed")?.targetCpuMsPerRequest;
    const o = figures(over, "json", "closed")?.targetCpuMsPerRequest;
    return b === undefined || o === undefined ? undefined : o - b;
  };
  const target = throughputTarget === undefined ? {} : { target: { min: throughputTarget } };
  const p50Target = addedP50Target === undefined ? {} : { target: { max: addedP50Target } };
  return [
    { label: `throughput ${name}, json, closed loop`, value: ratio("json"), unit: "ratio", ...target },
    { label: `throughput ${name}, stream, closed loop`, value: ratio("stream"), unit: "ratio", ...target },
    {
      label: `added p50 ${versus}, json, open loop`,
      value: added("json", (s) => s.latency.p50),
      unit: "ms",
      ...p50Target,
    },
    { label: `added p99 ${versus}, json, open loop`, value: added("json", (s) => s.latency.p99), unit: "ms" },
    {
      label: `added TTFB p50 ${versus}, stream, open loop`,
      value: added("stream", (s) => s.ttfb.p50),
      unit: "ms",
    },
    {
      label: `reference: CPU per request ${names.base} ÷ ${names.over}${names.suffix}, json, closed loop`,
      value: cpuRatio(),
      unit: "ratio",
    },
    ...(addedP50Target === undefined
      ? []
      : [
          {
            label: `reference: CPU per request added ${versus}, json, closed loop`,
            value: addedCpu(),
            unit: "ms" as const,
          },
        ]),
  ];
}

/**
 * Redis ÷ memory at each worker count (against the throughput target), then N ÷ 1 workers for
 * each state (for reference: on a small host the generator and the mock share the cores), then,
 * with `--access-log`, the access log on ÷ off for each state and worker count (for reference).
 */
export function computeVariantVerdicts(
  reports: readonly TargetReport[],
  variants: readonly GatewayVariant[],
): Verdict[] {
  const workerCounts = [...new Set(variants.map((variant) => variant.workers))];
  const states = [...new Set(variants.map((variant) => variant.state))];
  const verdicts: Verdict[] = [];
  if (states.includes("redis"))
    for (const workers of workerCounts) {
      const suffix = workerCounts.length > 1 ? ` ×${workers}` : "";
      verdicts.push(
        ...compare(
          reports,
          { base: "memory", over: "redis", suffix },
          { state: "memory", workers },
          { state: "redis", workers },
          REDIS_THROUGHPUT_TARGET,
        ),
      );
    }
  const fewest = Math.min(...workerCounts);
  for (const state of states)
    for (const workers of workerCounts.filter((count) => count !== fewest)) {
      const suffix = states.length > 1 ? ` ${state}` : "";
      verdicts.push(
        ...compare(
          reports,
          { base: `×${fewest}`, over: `×${workers}`, suffix },
          { state, workers: fewest },
          { state, workers },
          undefined,
        ),
      );
    }
  // A switch of the gateway (access log, OpenTelemetry) compared on ÷ off at each state and worker count.
  const toggles = [
    { name: "log", field: "accessLog" },
    { name: "otel", field: "otel" },
  ] as const;
  for (const { name, field } of toggles) {
    if (!variants.some((variant) => variant[field])) continue;
    for (const state of states)
      for (const workers of workerCounts) {
        const suffix = `${states.length > 1 ? ` ${state}` : ""}${workerCounts.length > 1 ? ` ×${workers}` : ""}`;
        verdicts.push(
          ...compare(
            reports,
            { base: `${name} off`, over: `${name} on`, suffix },
            { state, workers },
            { state, workers, [field]: true },
            undefined,
          ),
        );
      }
  }
  verdicts.push(...ledgerVerdicts(reports, variants, states, workerCounts));
  return verdicts.map(judge);
}

/** With `--ledger`, each ledger database on ÷ off at each state and worker count, its added p50 judged. */
function ledgerVerdicts(
  reports: readonly TargetReport[],
  variants: readonly GatewayVariant[],
  states: readonly StateKind[],
  workerCounts: readonly number[],
): Verdict[] {
  const kinds = [...new Set(variants.flatMap((variant) => (variant.ledger ? [variant.ledger] : [])))];
  return kinds.flatMap((ledger) =>
    states.flatMap((state) =>
      workerCounts.flatMap((workers) => {
        const suffix = `${states.length > 1 ? ` ${state}` : ""}${workerCounts.length > 1 ? ` ×${workers}` : ""}`;
        return compare(
          reports,
          { base: "ledger off", over: `ledger-${ledger}`, suffix },
          { state, workers },
          { state, workers, ledger },
          undefined,
          LEDGER_ADDED_P50_TARGET_MS,
        );
      }),
    ),
  );
}
