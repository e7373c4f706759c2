/**
 * The names of the load-balancing strategies and the other spellings accepted for them. A leaf:
 * config validates names with it without loading any strategy, and the factory in
 * `routing/strategies/factory.ts` maps each name to its implementation (its table is typed by
 * {@link StrategyName}, so a name without an implementation does not compile).
 * @module
 */

/** The canonical strategy names (aliases not included). */
export const STRATEGY_NAMES = [
  "round_robin",
  "least_connections",
  "least_loaded",
  "weighted",
  "random",
  "sticky",
  "power_of_two",
  "latency",
  "prefix_cache",
  "prefix_aware",
] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Other names for the same strategies, used by peers and other balancers (nginx, HAProxy, Envoy). */
const ALIASES: Readonly<Record<string, StrategyName>> = {
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
  kv_aware: "prefix_aware",
};

/**
 * Names and aliases by their spelling without separators, so `P2C` (which the camel-case split
 * turns into `p2_c`), `LEASTCONN` and `leastConnections` all land on a canonical name.
 */
const BY_COMPACT_SPELLING = new Map<string, StrategyName>([
  ...STRATEGY_NAMES.map((name): [string, StrategyName] => [compact(name), name]),
  ...Object.entries(ALIASES).map(([alias, name]): [string, StrategyName] => [compact(alias), name]),
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

/** The canonical name for a spelling, or undefined when it names no strategy. */
export function canonicalStrategyName(name: string): StrategyName | undefined {
  const normal = normalizeStrategyName(name);
  return (STRATEGY_NAMES as readonly string[]).includes(normal) ? (normal as StrategyName) : undefined;
}

/** Whether a name, in any accepted spelling, is a strategy. */
export function isKnownStrategy(name: string): boolean {
  return canonicalStrategyName(name) !== undefined;
}

/** The canonical strategy names (aliases not included). */
export function strategyNames(): string[] {
  return [...STRATEGY_NAMES];
}

/** The error for a name that is no strategy; config validation and the factory both use it. */
export function unknownStrategyMessage(name: string): string {
  return `unknown strategy "${name}" (choose from: ${STRATEGY_NAMES.join(", ")})`;
}
