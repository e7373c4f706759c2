/**
 * The one interface every load-balancing strategy implements, and the only place that maps a
 * strategy's name to its implementation.
 * @module
 */
import type { BackendView } from "../backend.js";
import { RoundRobinStrategy } from "./round-robin.js";

/** What a strategy may know about the request it routes. Never the HTTP request itself. */
export interface RoutingRequest {
  readonly model: string;
  /** A stable key for session affinity: `user`, a session header or the client's key. */
  readonly sessionKey?: string | undefined;
  /** The start of the prompt, for cache-aware routing. */
  readonly promptPrefix?: string | undefined;
}

export type Outcome = "success" | "failure";

/**
 * Chooses one backend among candidates that are already filtered (they serve the model, are
 * healthy, have a closed circuit and are under their cap). `pick` is synchronous and cheap; a
 * strategy keeps only its own small state (a cursor, EWMAs, a ring).
 */
export interface Strategy {
  readonly name: string;
  pick(candidates: readonly BackendView[], request: RoutingRequest): BackendView | undefined;
  /** Told after each attempt; optional. */
  onResult?(backendId: string, outcome: Outcome, latencyMs: number): void;
  /** Told when a backend is removed, so per-backend state can be dropped; optional. */
  forget?(backendId: string): void;
}

const FACTORIES: Record<string, () => Strategy> = {
  round_robin: () => new RoundRobinStrategy(),
};

/** Canonical name for a user's spelling: `ROUND_ROBIN`, `round-robin` and `RoundRobin` all work. */
export function normalizeStrategyName(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[-\s]+/g, "_")
    .toLowerCase();
}

export function strategyNames(): string[] {
  return Object.keys(FACTORIES);
}

export function createStrategy(name: string): Strategy {
  const factory = FACTORIES[normalizeStrategyName(name)];
  if (!factory) {
    throw new Error(`unknown strategy "${name}" (choose from: ${strategyNames().join(", ")})`);
  }
  return factory();
}
