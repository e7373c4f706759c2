import { describe, expect, it } from "vitest";
import { periodPosition, ROLLING_SLICES } from "../../src/usage/budget-period.js";

const at = (iso: string) => Date.parse(iso);

describe("periodPosition", () => {
  it("cuts days, weeks (from Monday) and months in UTC", () => {
    const now = at("2026-12-03T07:30:00Z"); // a Thursday
    const day = periodPosition({ period: "day" }, now);
    expect(day.bucket).toBe(at("2026-12-03T00:00:00Z"));
    expect(day.resetAt()).toBe(at("2026-12-04T00:00:00Z"));
    const week = periodPosition({ period: "week" }, now);
    expect(week.bucket).toBe(at("2026-11-30T00:00:00Z"));
    expect(week.resetAt()).toBe(at("2026-12-07T00:00:00Z"));
    const month = periodPosition({ period: "month" }, now);
    expect(month.bucket).toBe(at("2026-12-01T00:00:00Z"));
    expect(month.resetAt()).toBe(at("2027-01-01T00:00:00Z"));
    expect(month.oldest).toBe(month.bucket);
    expect(month.ttlMs).toBe(at("2027-01-01T00:00:00Z") - now);
  });

  it("keeps a Sunday in the week that began the Monday before", () => {
    expect(periodPosition({ period: "week" }, at("2026-12-06T23:59:59Z")).bucket).toBe(
      at("2026-11-30T00:00:00Z"),
    );
    expect(periodPosition({ period: "week" }, at("2026-12-07T00:00:00Z")).bucket).toBe(
      at("2026-12-07T00:00:00Z"),
    );
  });

  it("ends February on its last day, leap years included", () => {
    expect(periodPosition({ period: "month" }, at("2028-02-29T12:00:00Z")).resetAt()).toBe(
      at("2028-03-01T00:00:00Z"),
    );
  });

  it("rolls a window in slices: spending drops out one slice at a time", () => {
    const window = 3600;
    const slice = (window * 1000) / ROLLING_SLICES;
    const now = at("2026-12-03T07:30:30Z");
    const position = periodPosition({ period: "rolling", window }, now);
    expect(position.bucket).toBe(at("2026-12-03T07:30:00Z"));
    expect(position.oldest).toBe(position.bucket - (ROLLING_SLICES - 1) * slice);
    // Spending in the oldest counted slice lapses one window after that slice began.
    expect(position.resetAt(position.oldest)).toBe(position.oldest + window * 1000);
    const later = periodPosition({ period: "rolling", window }, now + window * 1000);
    expect(later.oldest).toBeGreaterThan(position.bucket);
  });
});
