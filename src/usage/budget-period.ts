/**
 * Where a budget's period stands at a moment: which bucket spending goes into, which buckets still
 * count, and when the spend counted now stops counting. Calendar periods (day, week, month) are
 * UTC and one bucket each, so every replica agrees where one ends. A rolling window is cut into
 * {@link ROLLING_SLICES} slices: spending drops out a slice at a time, so the window is exact to
 * one slice (a minute for a one-hour window) with a bounded number of counters.
 * @module
 */
import type { BudgetConfig } from "../config/schema.js";

export const ROLLING_SLICES = 60;

const DAY_MS = 86_400_000;

export interface PeriodPosition {
  /** Start (epoch ms) of the bucket spending at this moment goes into. */
  readonly bucket: number;
  /** Buckets that start before this no longer count. */
  readonly oldest: number;
  /** How long a counter must be kept for its newest bucket to count to the end. */
  readonly ttlMs: number;
  /**
   * When the spend counted now starts to lapse: the period's end, or for a rolling window the
   * moment the oldest counted bucket (`oldestUsed`, when known) drops out.
   */
  resetAt(oldestUsed?: number): number;
}

export function periodPosition(budget: Pick<BudgetConfig, "period" | "window">, now: number): PeriodPosition {
  if (budget.period === "rolling") return rollingPosition((budget.window ?? 3600) * 1000, now);
  const start = periodStart(budget.period, now);
  const end = periodEnd(budget.period, start);
  return { bucket: start, oldest: start, ttlMs: end - now, resetAt: () => end };
}

function rollingPosition(windowMs: number, now: number): PeriodPosition {
  const slice = Math.max(1000, Math.ceil(windowMs / ROLLING_SLICES));
  const bucket = Math.floor(now / slice) * slice;
  // A bucket counts while any of it lies inside the window (now - windowMs, now].
  const oldest = bucket - (Math.ceil(windowMs / slice) - 1) * slice;
  return {
    bucket,
    oldest,
    ttlMs: windowMs + slice,
    resetAt: (oldestUsed) => (oldestUsed ?? oldest) + Math.ceil(windowMs / slice) * slice,
  };
}

function periodStart(period: "day" | "week" | "month", now: number): number {
  const date = new Date(now);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (period === "day") return day;
  if (period === "week") return day - ((date.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function periodEnd(period: "day" | "week" | "month", start: number): number {
  if (period === "day") return start + DAY_MS;
  if (period === "week") return start + 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
