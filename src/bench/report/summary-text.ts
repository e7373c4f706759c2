/**
 * The end-of-run summary printed to stdout in every mode: a table per model (and all requests), a
 * table per backend, the errors, and where the report files went.
 * @module
 */
import { type Align, formatPercent, formatRate, formatSummaryMs, renderTable } from "../format.js";
import type { GroupSummary } from "../stats/group-stats.js";
import type { BenchReport } from "./report-types.js";

const HEADER = [
  "",
  "ok",
  "failed",
  "req/s",
  "tok/s",
  "goodput",
  "TTFT p50",
  "p90",
  "p99",
  "latency p50",
  "p90",
  "p99",
  "ITL p50",
  "p99",
];
const ALIGN: Align[] = HEADER.map((_, i) => (i === 0 ? "left" : "right"));

function row(name: string, group: GroupSummary): string[] {
  return [
    name,
    String(group.requests.ok),
    String(group.requests.failed),
    formatRate(group.throughput.requestsPerS),
    formatRate(group.throughput.outputTokensPerS),
    formatPercent(group.goodputRatio),
    formatSummaryMs(group.ttftMs, "p50"),
    formatSummaryMs(group.ttftMs, "p90"),
    formatSummaryMs(group.ttftMs, "p99"),
    formatSummaryMs(group.latencyMs, "p50"),
    formatSummaryMs(group.latencyMs, "p90"),
    formatSummaryMs(group.latencyMs, "p99"),
    formatSummaryMs(group.interTokenMs, "p50"),
    formatSummaryMs(group.interTokenMs, "p99"),
  ];
}

/** The engines' prefix-cache hit rate, when the run could read it. */
export function prefixCacheLine(report: BenchReport): string | undefined {
  const cache = report.prefixCache;
  if (!cache) return undefined;
  const engines = cache.engines === 1 ? "1 engine" : `${cache.engines} engines`;
  return `prefix cache: ${formatPercent(cache.hitRate)} of ${Math.round(cache.queries)} prompt tokens found cached (${engines})`;
}

export function renderSummaryText(report: BenchReport): string {
  const rows = report.models.map((model) => row(model.model, model));
  if (report.models.length > 1) rows.push(row("all", report.overall));
  const parts = [
    `bench ${report.parameters.url}: ${report.overall.requests.sent} requests in ${report.durationS.toFixed(1)} s` +
      (report.interrupted ? " (interrupted)" : "") +
      " · times in ms",
    renderTable(HEADER, rows, ALIGN),
  ];
  if (report.backends.length > 0) {
    parts.push(
      "",
      renderTable(
        ["backend", ...HEADER.slice(1)],
        report.backends.map((b) => row(b.backend, b)),
        ALIGN,
      ),
    );
  }
  const prefixLine = prefixCacheLine(report);
  if (prefixLine) parts.push("", prefixLine);
  const errors = report.overall.errors;
  if (errors.total > 0) {
    const entries = [
      ...Object.entries(errors.byKind).map(([kind, count]) => `${kind}=${count}`),
      ...Object.entries(errors.byStatus).map(([status, count]) => `HTTP ${status}=${count}`),
      ...Object.entries(errors.byCode).map(([code, count]) => `${code}=${count}`),
    ];
    parts.push("", `errors: ${entries.join(" ")}`);
  }
  return parts.join("\n");
}
