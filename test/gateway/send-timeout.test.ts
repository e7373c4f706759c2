/**
 * The send timeout's rule, sweep by sweep: a connection is stuck once bytes have waited and none
 * were written for more sweeps than a timeout holds; any progress, or nothing waiting, resets it.
 */
import { describe, expect, it } from "vitest";
import { isStuck } from "../../src/gateway/send-timeout.js";

function sweeps(states: { bytesWritten: number; writableLength: number }[]): boolean[] {
  const progress = { written: 0, stalled: 0 };
  return states.map((state) => isStuck(state, progress));
}

describe("isStuck", () => {
  it("is stuck after five sweeps in a row with bytes waiting and none written", () => {
    const waiting = { bytesWritten: 1_000, writableLength: 600 };
    expect(sweeps([waiting, waiting, waiting, waiting, waiting, waiting])).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it("is never stuck while bytes go out, however many wait", () => {
    const states = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ bytesWritten: 10_000, writableLength: 9_000 - n }));
    expect(sweeps(states).some(Boolean)).toBe(false);
  });

  it("is never stuck with nothing waiting (an idle connection, a quiet stream)", () => {
    const idle = { bytesWritten: 500, writableLength: 0 };
    expect(sweeps([idle, idle, idle, idle, idle, idle, idle]).some(Boolean)).toBe(false);
  });
});
