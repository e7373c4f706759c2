/** How long sessions take to return, learned on an injected clock: nothing sleeps. */
import { describe, expect, it } from "vitest";
import { ReturnGaps } from "../../src/routing/return-gaps.js";

/** `count` sessions each end at `t` and return `gapMs` later; the clock after the last return. */
function returns(gaps: ReturnGaps, count: number, gapMs: number, startMs = 0): number {
  let t = startMs;
  for (let index = 0; index < count; index++) {
    gaps.ended(`s${index}`, t);
    gaps.returned(`s${index}`, t + gapMs);
    t += gapMs + 1;
  }
  return t;
}

describe("ReturnGaps", () => {
  it("holds for the floor until enough returns are seen", () => {
    const gaps = new ReturnGaps(1000, 30_000);
    returns(gaps, 31, 4000);
    expect(gaps.holdMs).toBe(1000);
    returns(gaps, 1, 4000, 1_000_000);
    expect(gaps.samples).toBe(32);
    // A margin over the returns' high quantile.
    expect(gaps.holdMs).toBeCloseTo(4400);
  });

  it("follows the slow returns, not the typical one", () => {
    const gaps = new ReturnGaps(100, 30_000);
    const t = returns(gaps, 90, 500);
    returns(gaps, 10, 2000, t);
    expect(gaps.holdMs).toBeCloseTo(2200);
  });

  it("stays within floor and ceiling", () => {
    const short = new ReturnGaps(1000, 30_000);
    returns(short, 40, 10);
    expect(short.holdMs).toBe(1000);
    const long = new ReturnGaps(1000, 3000);
    returns(long, 40, 2900);
    expect(long.holdMs).toBe(3000);
  });

  it("learns nothing from a session back after the ceiling, or from one that never ended", () => {
    const gaps = new ReturnGaps(1000, 3000);
    for (let index = 0; index < 40; index++) {
      gaps.ended(`late${index}`, 0);
      gaps.returned(`late${index}`, 5000);
      gaps.returned(`new${index}`, 5000);
    }
    expect(gaps.samples).toBe(0);
    expect(gaps.holdMs).toBe(1000);
  });

  it("times a return from the session's latest end", () => {
    const gaps = new ReturnGaps(100, 30_000);
    for (let index = 0; index < 40; index++) {
      gaps.ended(`s${index}`, 0);
      gaps.ended(`s${index}`, 1000);
      gaps.returned(`s${index}`, 1400);
    }
    expect(gaps.holdMs).toBeCloseTo(440);
  });
});
