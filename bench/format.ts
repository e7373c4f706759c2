/**
 * Plain-text tables and number formats for benchmark output. Pure functions.
 * @module
 */

export { type Align, renderTable } from "../src/bench/format.js";

/** Requests per second with thousands separators, no decimals. */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en-US");
}

/** Milliseconds with 2 decimals below 10 ms, 1 below 100 ms, none above. */
export function formatMs(milliseconds: number | undefined): string {
  if (milliseconds === undefined || Number.isNaN(milliseconds)) return "-";
  const digits = Math.abs(milliseconds) < 10 ? 2 : Math.abs(milliseconds) < 100 ? 1 : 0;
  return milliseconds.toFixed(digits);
}

/** A signed difference in ms (`+0.12`, `-0.03`). */
export function formatDeltaMs(milliseconds: number): string {
  return `${milliseconds >= 0 ? "+" : ""}${milliseconds.toFixed(2)} ms`;
}

/** Microseconds from milliseconds, no decimals; "-" when unknown. */
export function formatMicros(milliseconds: number | undefined): string {
  return milliseconds === undefined || Number.isNaN(milliseconds)
    ? "-"
    : `${Math.round(milliseconds * 1000)}`;
}
