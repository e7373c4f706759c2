/**
 * Number formats and a plain-text table shared by the bench's terminal output (live panes, plain
 * lines, the end-of-run summary, `--compare`) and its HTML report. Pure functions.
 * @module
 */
import type { LatencySummary } from "./histogram.js";

/** Milliseconds: 2 decimals below 10, 1 below 100, none above; "-" when unknown. */
export function formatMs(milliseconds: number | undefined): string {
  if (milliseconds === undefined || !Number.isFinite(milliseconds)) return "-";
  const digits = Math.abs(milliseconds) < 10 ? 2 : Math.abs(milliseconds) < 100 ? 1 : 0;
  return milliseconds.toFixed(digits);
}

/** One percentile of a histogram summary in ms; "-" when the histogram is empty (no 0 that looks real). */
export function formatSummaryMs(
  summary: LatencySummary,
  key: "p50" | "p90" | "p99" | "p999" | "mean" | "max",
): string {
  return summary.count === 0 ? "-" : formatMs(summary[key]);
}

/** A count or rate, compact: 950, 9.5k, 1.2M; one decimal below 100 for rates. */
export function formatCount(value: number | undefined, decimals = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(magnitude >= 1e7 ? 0 : 1)}M`;
  if (magnitude >= 1e4) return `${(value / 1e3).toFixed(magnitude >= 1e5 ? 0 : 1)}k`;
  return value.toFixed(magnitude >= 100 ? 0 : decimals);
}

/** A rate per second with one decimal below 100. */
export function formatRate(perSecond: number | undefined): string {
  return formatCount(perSecond, 1);
}

/** A fraction as a percentage with one decimal. */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return "-";
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A ratio `b / a` as `1.23×`; "-" when either side is 0 or unknown. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "-";
  return `${ratio.toFixed(2)}×`;
}

export type Align = "left" | "right";

/** Rows under a header, columns padded to their widest cell and separated by two spaces. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return align[column] === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}
