/**
 * The figures of `bench:overhead` and how they are judged: per-phase rows, the ratios against the
 * targets of docs/performance.md, and the text report. Pure functions.
 * @module
 */
import type { LoadSummary } from "../src/bench/load.js";
import { type Align, formatDeltaMs, formatMicros, formatMs, formatRate, renderTable } from "./format.js";
import type { Flavour } from "./overhead-protocols.js";
import type { GatewayVariant } from "./overhead-variants.js";

export const TARGETS = ["direct", "proxy", "gateway"] as const;
export type TargetName = (typeof TARGETS)[number];
/** `long`: the long-prompt phases of `--long-prompt` (overhead-long-prompt.ts), JSON answers. */
export type Payload = "json" | "stream" | "long";
export type LoadShape = "closed" | "open";

export interface PhaseFigures {
  target: TargetName;
  payload: Payload;
  load: LoadShape;
  /** `64 conn` or `1000/s`. */
  loadLabel: string;
  /** The client API and flavour (overhead-protocols.ts); absent: chat completions. */
  protocol?: Flavour;
  /** Open loop: requests per second. */
  rate?: number;
  /** The routing strategy of a long-prompt phase (overhead-long-prompt.ts). */
  strategy?: string;
  summary: LoadSummary;
  /** CPU the target process (the mock, for `direct`) used per successful request, in ms. */
  targetCpuMsPerRequest?: number;
  /** CPU the mock used per successful request, in ms (proxy and gateway phases). */
  mockCpuMsPerRequest?: number;
  /** CPU the private redis-server used per successful request, in ms (gateway with Redis state). */
  redisCpuMsPerRequest?: number;
  /** CPU that processes other than the generator, the target, the mock and Redis used, in % of one core. */
  otherCpuPercent?: number;
  /** How many times the phase ran (it is rerun when other processes took the CPU); absent: once. */
  attempts?: number;
}

/** Above this much foreign CPU (% of one core) in a phase, the report warns that figures are skewed. */
export const OTHER_CPU_WARNING_PERCENT = 20;

export interface TargetReport {
  target: TargetName;
  /** The row label when it is not just `target` (a gateway variant: `gateway redis ×2`). */
  label?: string;
  /** Which gateway this is; absent for direct and proxy. */
  variant?: GatewayVariant;
  status: "ok" | "unavailable" | "skipped";
  error?: string;
  /** Flavours whose probe failed, with why: their phases did not run, the others did. */
  protocolErrors?: Partial<Record<Flavour, string>>;
  phases: PhaseFigures[];
  memory?: { rssMiB: number; peakMiB: number };
}

export interface Verdict {
  label: string;
  value: number | undefined;
  unit: "ratio" | "ms";
  /** Upper bound (`max`) or lower bound (`min`); absent for figures shown for reference only. */
  target?: { min?: number; max?: number };
  met?: boolean;
  /** Why a figure with a target was not judged (shown instead of the verdict). */
  unjudged?: string;
}

/** Chat completions, the protocol every target speaks and the target verdicts compare. */
export function isChat(figures: PhaseFigures): boolean {
  return (figures.protocol ?? "chat") === "chat";
}

/**
 * The first chat phase of the first report of `target` that ran: for the gateway, the baseline
 * variant (memory, fewest workers); for open loop, the one at `--rate` (it runs first).
 */
function phase(
  reports: readonly TargetReport[],
  target: TargetName,
  payload: Payload,
  load: LoadShape,
): PhaseFigures | undefined {
  return reports
    .find((report) => report.target === target && report.status === "ok")
    ?.phases.find((figures) => isChat(figures) && figures.payload === payload && figures.load === load);
}

/** The throughput ratio the gateway would reach with a core to itself; robust to other load on the host. */
function cpuRatio(reports: readonly TargetReport[], payload: Payload): number | undefined {
  const proxy = phase(reports, "proxy", payload, "closed")?.targetCpuMsPerRequest;
  const gateway = phase(reports, "gateway", payload, "closed")?.targetCpuMsPerRequest;
  return proxy === undefined || gateway === undefined || gateway === 0 ? undefined : proxy / gateway;
}

/** Sets `met` from the value and the target; a figure without either is left unjudged. */
export function judge(verdict: Verdict): Verdict {
  const { value, target } = verdict;
  if (value === undefined || !target) return verdict;
  const met =
    (target.min === undefined || value >= target.min) && (target.max === undefined || value <= target.max);
  return { ...verdict, met };
}

/** The ratios of docs/performance.md's targets, plus the minimal proxy's own cost for reference. */
export function computeVerdicts(reports: readonly TargetReport[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const payload of ["json", "stream"] as const) {
    const gateway = phase(reports, "gateway", payload, "closed");
    const proxy = phase(reports, "proxy", payload, "closed");
    verdicts.push({
      label: `throughput gateway ÷ proxy, ${payload}, closed loop`,
      value: gateway && proxy ? gateway.summary.throughput / proxy.summary.throughput : undefined,
      unit: "ratio",
      target: { min: 0.85 },
    });
  }
  const added = (target: TargetName, payload: Payload, pick: (summary: LoadSummary) => number) => {
    const over = phase(reports, target, payload, "open");
    const direct = phase(reports, "direct", payload, "open");
    return over && direct ? pick(over.summary) - pick(direct.summary) : undefined;
  };
  verdicts.push(
    {
      label: "added p50 over direct, json, open loop",
      value: added("gateway", "json", (s) => s.latency.p50),
      unit: "ms",
      target: { max: 0.3 },
    },
    {
      label: "added p99 over direct, json, open loop",
      value: added("gateway", "json", (s) => s.latency.p99),
      unit: "ms",
      target: { max: 2 },
    },
    {
      label: "added TTFB p50 over direct, stream, open loop",
      value: added("gateway", "stream", (s) => s.ttfb.p50),
      unit: "ms",
      target: { max: 0.5 },
    },
    {
      label: "added TTFB p99 over direct, stream, open loop",
      value: added("gateway", "stream", (s) => s.ttfb.p99),
      unit: "ms",
    },
    {
      label: "reference: CPU per request proxy ÷ gateway, json, closed loop",
      value: cpuRatio(reports, "json"),
      unit: "ratio",
    },
    {
      label: "reference: proxy added p50, json",
      value: added("proxy", "json", (s) => s.latency.p50),
      unit: "ms",
    },
    {
      label: "reference: proxy added p99, json",
      value: added("proxy", "json", (s) => s.latency.p99),
      unit: "ms",
    },
    {
      label: "reference: proxy added TTFB p50",
      value: added("proxy", "stream", (s) => s.ttfb.p50),
      unit: "ms",
    },
  );
  return verdicts.map(judge);
}

function errorCell(summary: LoadSummary): string {
  const { total, byKind, byStatus } = summary.errors;
  if (total === 0) return "0";
  const kinds = Object.entries(byKind).map(([kind, count]) =>
    kind === "status"
      ? Object.entries(byStatus)
          .map(([status, n]) => `${n}×${status}`)
          .join(" ")
      : `${count}×${kind}`,
  );
  return `${total} (${kinds.join(" ")})`;
}

export function renderPhases(reports: readonly TargetReport[]): string {
  const withRedis = reports.some((report) => report.variant?.state === "redis");
  const withProtocols = reports.some((report) => report.phases.some((figures) => !isChat(figures)));
  const header = [
    "target",
    ...(withProtocols ? ["protocol"] : []),
    "payload",
    "load",
    "req/s",
    "p50 ms",
    "p99 ms",
    "TTFB p50",
    "TTFB p99",
    "errors",
    "µs CPU/req",
    "mock µs/req",
    ...(withRedis ? ["redis µs/req"] : []),
    "gen CPU",
    "other CPU",
  ];
  const leftColumns = withProtocols ? 4 : 3;
  const align: Align[] = [
    ...Array<Align>(leftColumns).fill("left"),
    ...Array<Align>(header.length - leftColumns).fill("right"),
  ];
  const rows: string[][] = [];
  for (const report of reports) {
    const label = report.label ?? report.target;
    if (report.status !== "ok") {
      rows.push([label, report.status, ...Array<string>(header.length - 2).fill("")]);
      continue;
    }
    for (const figures of report.phases) {
      const { summary } = figures;
      const streaming = figures.payload === "stream";
      rows.push([
        label,
        ...(withProtocols ? [figures.protocol ?? "chat"] : []),
        figures.payload,
        figures.loadLabel,
        formatRate(summary.throughput),
        formatMs(summary.latency.p50),
        formatMs(summary.latency.p99),
        streaming ? formatMs(summary.ttfb.p50) : "-",
        streaming ? formatMs(summary.ttfb.p99) : "-",
        errorCell(summary),
        formatMicros(figures.targetCpuMsPerRequest),
        formatMicros(figures.mockCpuMsPerRequest),
        ...(withRedis ? [formatMicros(figures.redisCpuMsPerRequest)] : []),
        `${Math.round(summary.generatorCpuPercent)}%`,
        (figures.otherCpuPercent === undefined ? "-" : `${Math.round(figures.otherCpuPercent)}%`) +
          (figures.attempts ? ` (${figures.attempts} runs)` : ""),
      ]);
    }
  }
  const problems = reports
    .filter((report) => report.error)
    .map(
      (report) =>
        `${report.label ?? report.target} ${report.status}: ${report.error!.replaceAll("\n", "\n    ")}`,
    );
  for (const report of reports)
    for (const [flavour, error] of Object.entries(report.protocolErrors ?? {}))
      problems.push(
        `${report.label ?? report.target} ${flavour} not run: ${String(error).replaceAll("\n", "\n    ")}`,
      );
  const busiest = Math.max(
    0,
    ...reports.flatMap((report) => report.phases.map((p) => p.otherCpuPercent ?? 0)),
  );
  if (busiest > OTHER_CPU_WARNING_PERCENT)
    problems.push(
      `WARNING: other processes on this host used up to ${Math.round(busiest)}% of a core during a phase ` +
        '("other CPU"); those figures are skewed. Rerun on a quiet machine.',
    );
  return [renderTable(header, rows, align), ...(problems.length > 0 ? ["", ...problems] : [])].join("\n");
}

export function renderVerdicts(verdicts: readonly Verdict[]): string {
  const rows = verdicts.map((verdict) => {
    const { value, unit, target, met } = verdict;
    const shown = value === undefined ? "n/a" : unit === "ratio" ? value.toFixed(2) : formatDeltaMs(value);
    const bound = !target
      ? ""
      : target.min !== undefined
        ? `≥ ${target.min}${unit === "ms" ? " ms" : ""}`
        : `≤ ${target.max}${unit === "ms" ? " ms" : ""}`;
    const mark =
      verdict.unjudged ?? (met === undefined ? (target ? "not measured" : "") : met ? "met" : "MISSED");
    return [verdict.label, shown, bound, mark];
  });
  return renderTable(["figure", "value", "target", "verdict"], rows, ["left", "right", "left", "left"]);
}
