/**
 * Pure circuit arithmetic shared by every store (the Redis scripts repeat it in Lua, and the
 * conformance suite holds both to it). A circuit is two numbers: consecutive failures and
 * `openedUntil`; the state is derived from `openedUntil` and the clock, never stored.
 * @module
 */
import type { CircuitSnapshot, CircuitState } from "./store.js";

/** `openedUntil = 0`: closed; in the future: open; reached: half-open until a verdict. */
export function circuitStateAt(openedUntil: number, now: number): CircuitState {
  if (openedUntil <= 0) return "closed";
  return now < openedUntil ? "open" : "half_open";
}

export function circuitSnapshot(
  consecutiveFailures: number,
  openedUntil: number,
  now: number,
): CircuitSnapshot {
  return { state: circuitStateAt(openedUntil, now), consecutiveFailures, openedUntil };
}

/**
 * `openedUntil` after one more failure, given the count that includes it: half-open reopens at
 * once, closed opens when the count reaches a non-zero threshold, open stays as it is.
 */
export function openedUntilAfterFailure(
  failures: number,
  openedUntil: number,
  threshold: number,
  openMs: number,
  now: number,
): number {
  const state = circuitStateAt(openedUntil, now);
  if (state === "half_open") return now + openMs;
  if (state === "closed" && threshold > 0 && failures >= threshold) return now + openMs;
  return openedUntil;
}

export const CLOSED_CIRCUIT: CircuitSnapshot = { state: "closed", consecutiveFailures: 0, openedUntil: 0 };
