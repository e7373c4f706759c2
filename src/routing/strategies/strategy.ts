/**
 * The one interface every load-balancing strategy implements, and the only place that maps a
 * strategy's name to its implementation.
 * @module
 */
import type { BackendView } from "../backend.js";
import { LatencyStrategy } from "./latency.js";
import { LeastConnectionsStrategy } from "./least-connections.js";
import { LeastLoadedStrategy } from "./least-loaded.js";
import { PowerOfTwoStrategy } from "./power-of-two.js";
import { PrefixCacheStrategy } from "./prefix-cache.js";
import { RandomStrategy } from "./random.js";
import { RoundRobinStrategy } from "./round-robin.js";
import { StickyStrategy } from "./sticky.js";
import { WeightedStrategy } from "./weighted.js";

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

/** Canonical name → a strategy with its default options. Each call makes a fresh instance. */
const FACTORIES: Record<string, () => Strategy> = {
  round_robin: () => new RoundRobinStrategy(),
  least_connections: () => new LeastConnectionsStrategy(),
  least_loaded: () => new LeastLoadedStrategy(),
  weighted: () => new WeightedStrategy(),
  random: () => new RandomStrategy(),
  sticky: () => new StickyStrategy(),
  power_of_two: () => new PowerOfTwoStrategy(),
  latency: () => new LatencyStrategy(),
  prefix_cache: () => new PrefixCacheStrategy(),
};

/** Other names for the same strategies, used by peers and other balancers (nginx, HAProxy, Envoy). */
const ALIASES: Record<string, string> = {
  rr: "round_robin",
  least_conn: "least_connections",
  least_busy: "least_connections",
  least_request: "least_connections",
  least_requests: "least_connections",
  weighted_round_robin: "weighted",
  wrr: "weighted",
  session: "sticky",
  sticky_session: "sticky",
  sticky_sessions: "sticky",
  session_affinity: "sticky",
  p2c: "power_of_two",
  power_of_two_choices: "power_of_two",
  peak_ewma: "latency",
  ewma: "latency",
  least_latency: "latency",
  lowest_latency: "latency",
  cache_aware: "prefix_cache",
  prefix_aware: "prefix_cache",
};

/**
 * Names and aliases by their spelling without separators, so `P2C` (which the camel-case split
 * turns into `p2_c`), `LEASTCONN` and `leastConnections` all land on a canonical name.
 */
const BY_COMPACT_SPELLING = new Map<string, string>([
  ...Object.keys(FACTORIES).map((name): [string, string] => [compact(name), name]),
  ...Object.entries(ALIASES).map(([alias, name]): [string, string] => [compact(alias), name]),
]);

function compact(name: string): string {
  return name.replace(/_/g, "");
}

/**
 * Canonical name for a user's spelling: `ROUND_ROBIN`, `round-robin` and `RoundRobin` all work, and
 * so do the aliases (`p2c`, `least_conn`, `sticky_sessions`, `cache_aware`, …). An unknown name comes
 * back in snake case.
 */
export function normalizeStrategyName(name: string): string {
  const snake = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[-\s]+/g, "_")
    .toLowerCase();
  return BY_COMPACT_SPELLING.get(compact(snake)) ?? snake;
}

/** Whether a name, in any accepted spelling, is a strategy. */
export function isKnownStrategy(name: string): boolean {
  return Object.hasOwn(FACTORIES, normalizeStrategyName(name));
}

/** The canonical strategy names (aliases not included). */
export function strategyNames(): string[] {
  return Object.keys(FACTORIES);
}

/**
 * A fresh strategy for a name in any accepted spelling, with default options.
 * @throws Error naming the choices when the name is unknown.
 */
export function createStrategy(name: string): Strategy {
  const canonical = normalizeStrategyName(name);
  const factory = Object.hasOwn(FACTORIES, canonical) ? FACTORIES[canonical] : undefined;
  if (!factory) {
    throw new Error(`unknown strategy "${name}" (choose from: ${strategyNames().join(", ")})`);
  }
  return factory();
}
