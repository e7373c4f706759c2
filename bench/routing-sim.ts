/**
 * `node dist/bench/routing-sim.js`: the closed-loop agent-session A/B of `bench:routing` without
 * processes or HTTP, on one virtual clock, swept over the number of sessions per engine. It runs in
 * seconds and gives the same figures whatever the host's load, plus what the engines did with their
 * time, so it is where to find the operating point and to see why a strategy wins or loses there.
 * `bench:routing` stays the referee: it runs the real gateway (its scraping, its timing) in front
 * of real `mock --engine-sim` processes.
 *
 * Saturation is read off round robin alone, so it does not depend on the strategy being judged:
 * the fewest sessions per engine at which round robin's engines have requests waiting (a full KV
 * cache or batch) for at least half of the window.
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import {
  DEFAULT_ENGINE_PROFILE,
  ENGINE_PROFILES,
  type EngineProfileName,
} from "../src/mock/engine-sim/profiles.js";
import type { KvAdmissionOrder } from "../src/routing/kv-admission.js";
import { createStrategy } from "../src/routing/strategies/factory.js";
import { renderTable } from "./format.js";
import { CACHE_ORACLE, CacheOracle } from "./routing-sim-oracle.js";
import { type AdmissionSpec, type SimRunResult, simulateRun } from "./routing-sim-run.js";

/** Round robin's engines queue for at least this share of the window: the fleet is saturated. */
export const SATURATION_WAITING_SHARE = 0.5;

interface SimOptions {
  workload: "agent-sessions" | "chat" | "hot-prefix";
  sessions: number[];
  /** Open loop: arrivals per second per engine, one run each (instead of the sessions sweep). */
  rate?: number[];
  strategies: string[];
  engines: number;
  requests: number;
  warmup?: number;
  thinkMs: number;
  profile: string;
  seed: number[];
  admission: "none" | "kv";
  admissionFraction: number[];
  admissionOrder: KvAdmissionOrder[];
  holdMs: number[];
  agingMs?: number;
  holdCeilingMs?: number;
  gatewayBlocks?: boolean;
  decodeTokens?: number;
  queuedOutOfLoad?: boolean;
  /** Only the admission variants: the plain strategies' rows are already known (same seeds). */
  admittedOnly?: boolean;
}

function wholeNumbers(text: string): number[] {
  const values = text.split(",").map(Number);
  if (values.some((value) => !Number.isInteger(value) || value < 1))
    throw new InvalidArgumentError(`expected whole numbers ≥ 1, got "${text}"`);
  return values;
}

function admissionOrders(text: string): KvAdmissionOrder[] {
  const orders = text.split(",");
  for (const order of orders)
    if (order !== "fifo" && order !== "cached-first")
      throw new InvalidArgumentError(`expected fifo or cached-first, got "${order}"`);
  return orders as KvAdmissionOrder[];
}

function wholeNumber(text: string): number {
  return wholeNumbers(text)[0]!;
}

function parse(argv: readonly string[]): SimOptions {
  return new Command("routing-sim")
    .option("--workload <name>", "agent-sessions, chat or hot-prefix", "agent-sessions")
    .option(
      "--sessions <list>",
      "closed loop: sessions per engine, one run each",
      wholeNumbers,
      [4, 8, 12, 16, 24, 32],
    )
    .option("--rate <list>", "open loop: arrivals per second per engine, one run each", (text) =>
      text.split(",").map(Number),
    )
    .option(
      "--strategies <list>",
      `strategies, and ${CACHE_ORACLE}: a reference that reads the engines' real caches`,
      (text) => text.split(","),
      ["round_robin", "least_loaded", "prefix_aware"],
    )
    .option("--engines <n>", "simulated engines", wholeNumber, 4)
    .option("--requests <n>", "measured turns per run", wholeNumber, 300)
    .option("--warmup <n>", "unmeasured turns first (default: 2 per session)", wholeNumber)
    .option("--think-ms <ms>", "mean think time between a session's turns", Number, 1000)
    .option("--profile <name>", "engine profile", DEFAULT_ENGINE_PROFILE)
    .option("--seed <list>", "seeds, one run each", wholeNumbers, [1])
    .option(
      "--admission <kind>",
      "none, or kv: the gateway holds a turn back while its engine's working set would overflow its KV cache",
      "none",
    )
    .option(
      "--admission-fraction <list>",
      "kv admission: share of the KV cache the working set may fill, one run each",
      (text) => text.split(",").map(Number),
      [1],
    )
    .option(
      "--admission-order <list>",
      "kv admission: fifo or cached-first (most blocks held first), one run each",
      admissionOrders,
      ["cached-first"],
    )
    .option(
      "--hold-ms <list>",
      "kv admission: how long a thinking session's history stays counted (ms), one run each",
      (text) => text.split(",").map(Number),
      [1500],
    )
    .option(
      "--aging-ms <ms>",
      "kv admission, cached-first: a turn queued this long goes first (none: no bound)",
      Number,
    )
    .option(
      "--hold-ceiling-ms <ms>",
      "kv admission: learn the hold from the sessions' return gaps, between --hold-ms and this",
      Number,
    )
    .option(
      "--gateway-blocks",
      "kv admission: count prompts in the gateway's 256-character blocks, not the engine's 16-token ones",
    )
    .option(
      "--decode-tokens <n>",
      "kv admission: count every turn's decode as this many tokens, not its own",
      wholeNumber,
    )
    .option(
      "--queued-out-of-load",
      "kv admission: turns waiting at the gateway do not count in the load the strategy sees",
    )
    .option("--admitted-only", "kv admission: skip the plain strategies' runs")
    .parse(argv, { from: "user" })
    .opts<SimOptions>();
}

const pct = (value: number) => `${(value * 100).toFixed(0)} %`;
const ms = (value: number) => Math.round(value).toLocaleString("en-US");

function row(perEngine: number, strategy: string, result: SimRunResult): string[] {
  return [
    String(perEngine),
    strategy,
    ms(result.outputTokensPerS),
    ms(result.ttftP50Ms),
    ms(result.ttftP99Ms),
    ms(result.latencyP50Ms),
    ms(result.meanPromptTokens),
    pct(result.prefixHitRate),
    `${pct(result.historyLost.moved)} / ${pct(result.historyLost.evictedIdle)} / ${pct(result.historyLost.evictedQueued)}`,
    pct(result.movedTurnShare),
    `${pct(result.prefillShare)} / ${pct(result.decodeShare)} / ${pct(result.baseShare)}`,
    pct(result.busyShare),
    `${result.meanRunning.toFixed(1)} / ${result.meanWaiting.toFixed(1)}`,
    pct(result.waitingShare),
    pct(result.meanKvUsage),
    `${result.maxOverMeanLoad.toFixed(2)}×`,
    ms(result.gatewayWaitMeanMs),
  ];
}

/**
 * Each strategy as the engines admit today, then, with `--admission kv`, `prefix_aware` (or the
 * last strategy listed) once per admission variant: round robin stays the paired baseline.
 */
function variants(options: SimOptions): Array<[string, AdmissionSpec | undefined]> {
  const plain = options.strategies.map((strategy): [string, undefined] => [strategy, undefined]);
  if (options.admission === "none") return plain;
  if (options.admission !== "kv") throw new Error(`unknown admission ${options.admission}`);
  const admitted = options.strategies.includes("prefix_aware") ? "prefix_aware" : options.strategies.at(-1)!;
  const specs: Array<[string, AdmissionSpec]> = [];
  for (const capacityFraction of options.admissionFraction)
    for (const order of options.admissionOrder)
      for (const holdMs of options.holdMs)
        specs.push([
          admitted,
          {
            capacityFraction,
            order,
            holdMs,
            agingMs: options.agingMs,
            holdCeilingMs: options.holdCeilingMs,
            blocks: options.gatewayBlocks ? "gateway" : "engine",
            decodeTokens: options.decodeTokens,
            queuedInLoad: !options.queuedOutOfLoad,
          },
        ]);
  return options.admittedOnly ? specs : [...plain, ...specs];
}

function admissionLabel(spec: AdmissionSpec): string {
  const aging = spec.agingMs === undefined ? "" : ` aging ${spec.agingMs}`;
  const ceiling = spec.holdCeilingMs === undefined ? "" : `–${spec.holdCeilingMs} learned`;
  const blocks = spec.blocks === "gateway" ? " gateway blocks" : "";
  const decode = spec.decodeTokens === undefined ? "" : ` decode ${spec.decodeTokens}`;
  const load = spec.queuedInLoad === false ? " queued out of load" : "";
  return `kv ${spec.capacityFraction} ${spec.order} hold ${spec.holdMs}${ceiling}${aging}${blocks}${decode}${load}`;
}

function main(): void {
  const options = parse(process.argv.slice(2));
  const profile = ENGINE_PROFILES[options.profile as EngineProfileName];
  if (profile === undefined) throw new Error(`unknown profile ${options.profile}`);
  const rows: string[][] = [];
  let saturatedAt: number | undefined;
  const points = options.rate ?? options.sessions;
  for (const point of points) {
    for (const seed of options.seed) {
      for (const [strategy, admission] of variants(options)) {
        const sessions = options.rate ? 32 : point * options.engines;
        const result = simulateRun({
          admission,
          strategy: strategy === CACHE_ORACLE ? new CacheOracle() : createStrategy(strategy),
          profile,
          engines: options.engines,
          workload: options.workload,
          sessions,
          rate: options.rate ? point * options.engines : undefined,
          thinkMs: options.thinkMs,
          warmup: options.warmup ?? 2 * sessions,
          requests: options.requests,
          seed,
        });
        if (
          strategy === "round_robin" &&
          saturatedAt === undefined &&
          result.waitingShare >= SATURATION_WAITING_SHARE
        )
          saturatedAt = point;
        rows.push(row(point, admission ? `${strategy} ${admissionLabel(admission)}` : strategy, result));
        // Each row as it comes, so a sweep cut short still leaves its figures.
        process.stderr.write(`seed ${seed} · ${rows.at(-1)!.join(" · ")}\n`);
      }
    }
  }
  const header = [
    options.rate ? "req/s/engine" : "sessions/engine",
    "strategy",
    "out tok/s",
    "TTFT p50",
    "TTFT p99",
    "latency p50",
    "prompt tokens",
    "prefix hits",
    "history lost: moved / evicted idle / queued",
    "turns moved",
    "prefill / decode / base",
    "busy",
    "running / waiting",
    "queued",
    "KV used",
    "max/mean load",
    "gateway wait",
  ];
  const align = header.map((_, column): "left" | "right" => (column === 1 ? "left" : "right"));
  process.stdout.write(
    `routing-sim · ${options.workload} · ${options.engines} × ${profile.name} · ${options.requests} requests measured · think ${options.thinkMs} ms · times in ms (engine time)\n`,
  );
  process.stdout.write(`${renderTable(header, rows, align)}\n`);
  process.stdout.write(
    saturatedAt === undefined
      ? "round robin never queued for half the window: no saturation in this sweep\n"
      : `saturation (round robin's engines queue ≥ ${pct(SATURATION_WAITING_SHARE)} of the window): ${saturatedAt} ${options.rate ? "req/s" : "sessions"} per engine\n`,
  );
}

main();
