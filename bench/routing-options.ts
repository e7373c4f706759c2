/**
 * The options of `npm run bench:routing`: which strategies, workloads and fleet, how long and how
 * hard each run is, the SLO goodput is judged against, and where the JSON and HTML go. `--quick`
 * shortens every run so that the default selection ends in about a minute (a smoke run, not figures
 * to quote).
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import type { WorkloadName } from "../src/bench/llm/workloads/shape.js";
import { canonicalStrategyName } from "../src/config/strategy-names.js";

/** Every strategy the A/B compares, in table order; a build without one skips it. */
export const ROUTING_STRATEGIES = [
  "round_robin",
  "least_connections",
  "least_loaded",
  "power_of_two",
  "prefix_cache",
  "prefix_aware",
] as const;

/**
 * The shaped workloads (the synthetic one has no structure to route on). `agent-sessions` runs as a
 * closed loop of many concurrent sessions, as agents load a fleet; `agent-sessions-open` is the
 * same traffic at a fixed open-loop rate, which caps throughput at the rate offered.
 */
export const ROUTING_WORKLOADS = ["agent-sessions", "agent-sessions-open", "chat", "hot-prefix"] as const;
export type RoutingWorkload = (typeof ROUTING_WORKLOADS)[number];

/** What each routing workload is replayed with: its bench workload, and its loop. */
export const ROUTING_WORKLOAD_SHAPES: Readonly<
  Record<RoutingWorkload, { workload: Exclude<WorkloadName, "synthetic">; loop: "open" | "closed" }>
> = {
  "agent-sessions": { workload: "agent-sessions", loop: "closed" },
  "agent-sessions-open": { workload: "agent-sessions", loop: "open" },
  chat: { workload: "chat", loop: "open" },
  "hot-prefix": { workload: "hot-prefix", loop: "open" },
};

/** Replayed unless `--workloads` says otherwise: the open-loop agent run is there on request. */
export const DEFAULT_ROUTING_WORKLOADS: readonly RoutingWorkload[] = ["agent-sessions", "chat", "hot-prefix"];

export interface RoutingOptions {
  strategies: string[];
  workloads: RoutingWorkload[];
  engines: number;
  /** Measured requests per run, after `warmup` unmeasured ones. */
  requests: number;
  warmup: number;
  /** Requests per second the host sends; the engines' time scale follows from it. */
  wallRate: number;
  /** The engines' `--time-scale` instead of the one `wallRate` gives. */
  timeScale?: number;
  /** Multiplies every workload's arrival rate (1: near the fleet's saturation). */
  load: number;
  /** Goodput: TTFT at most this, in engine time (ms). */
  ttftSloMs: number;
  /** Give the gateway the same TTFT target (`ttft_slo`): it queues, then sheds with 429. */
  admission: boolean;
  /** Give the gateway KV admission (`kv_admission`) with the engines' KV capacity. */
  kvAdmission: boolean;
  sessions?: number;
  /** Closed-loop agent sessions: each session's mean think time between turns (engine time, ms). */
  thinkMs: number;
  profile?: string;
  seed: number;
  json?: string;
  html: string;
  quick: boolean;
}

/** `--quick`: the same runs, each much shorter. */
export const QUICK = { requests: 40, warmup: 10 };

function positive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${text}"`);
  return value;
}

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${text}"`);
  return value;
}

function listOf<T extends string>(known: readonly T[], what: string) {
  return (text: string): T[] => {
    const names = text
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    for (const name of names)
      if (!(known as readonly string[]).includes(name))
        throw new InvalidArgumentError(`unknown ${what} "${name}" (expected ${known.join(", ")})`);
    if (names.length === 0) throw new InvalidArgumentError(`no ${what} given`);
    return names as T[];
  };
}

export function parseRoutingOptions(argv: readonly string[]): RoutingOptions {
  const program = new Command("bench:routing")
    .description(
      "Routing A/B: a fleet of simulated engines behind the gateway, once per strategy, the same seeded workloads",
    )
    .option(
      "--strategies <list>",
      `strategies to compare (${ROUTING_STRATEGIES.join(", ")})`,
      listOf(ROUTING_STRATEGIES, "strategy"),
      [...ROUTING_STRATEGIES],
    )
    .option(
      "--workloads <list>",
      `workloads to replay (${ROUTING_WORKLOADS.join(", ")})`,
      listOf(ROUTING_WORKLOADS, "workload"),
      [...DEFAULT_ROUTING_WORKLOADS],
    )
    .option("--engines <n>", "simulated engines in the fleet", wholeNumber, 4)
    .option("--requests <n>", "measured requests per strategy and workload", wholeNumber, 300)
    .option("--warmup <n>", "unmeasured requests before each window (caches fill)", wholeNumber, 60)
    .option(
      "--wall-rate <n>",
      "requests per second the host sends (a quarter of it for agent sessions): the engines run slower or faster than real time to match",
      positive,
      12,
    )
    .option(
      "--time-scale <f>",
      "the engines' simulated seconds per wall second (instead of --wall-rate)",
      positive,
    )
    .option("--load <f>", "multiplies each workload's arrival rate (1: near saturation)", positive, 1)
    .option("--ttft-slo-ms <ms>", "goodput: time to first token at most this (engine time)", positive, 2000)
    .option(
      "--sessions <n>",
      "agent sessions open at once (default: 16 per engine in the closed loop, 32 in the open one)",
      wholeNumber,
    )
    .option(
      "--think-ms <ms>",
      "closed-loop agent sessions: mean think time between a session's turns (engine time)",
      positive,
      1000,
    )
    .option(
      "--admission",
      "the gateway gets the goodput SLO as its ttft_slo: it queues, then sheds with 429 (counted as failed)",
      false,
    )
    .option(
      "--kv-admission",
      "the gateway holds turns back by the engines' KV working set (kv_admission; hold 1.5 s, wait bound 15 s, engine time)",
      false,
    )
    .option("--profile <name>", "the engines' --engine-profile (default: the simulator's)")
    .option("--seed <n>", "seed of the workloads, arrivals and engines", wholeNumber, 1)
    .option("--json <file>", "also write the table as JSON (one object per strategy and workload)")
    .option("--html <file>", "the HTML comparison report", "bench-results/routing.html")
    .option("--quick", `smoke run: ${QUICK.requests} requests measured after ${QUICK.warmup} per run`, false)
    .parse(argv, { from: "user" });
  const options = program.opts<RoutingOptions>();
  return options.quick ? { ...options, ...QUICK } : options;
}

/** The strategies of the list this build knows (by their own name, not as another's alias). */
export function knownStrategies(names: readonly string[]): { known: string[]; skipped: string[] } {
  const known = names.filter((name) => canonicalStrategyName(name) === name);
  return { known, skipped: names.filter((name) => !known.includes(name)) };
}
