/**
 * `npm run bench:routing`: does the router make the fleet faster? For each workload (agent
 * sessions, chat, hot prefix) and each strategy, starts a fresh fleet of simulated engines
 * (`switchyard mock --engine-sim`, sped up by `--time-scale`) behind a gateway running that
 * strategy, replays the same seeded workload (agent sessions as a closed loop of many concurrent
 * sessions; the others at the same open-loop rate near the fleet's saturation, `--load` scales it),
 * and prints one table: output throughput, TTFT and latency
 * p50/p99, goodput against `--ttft-slo-ms`, the engines' prefix-cache hit rate and how unevenly the
 * engines were loaded. `--json` writes the table, and an HTML report charts it. Strategies this
 * build does not know are skipped and named.
 * @module
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { parseLength } from "../src/bench/llm/lengths.js";
import type { BenchOptions } from "../src/bench/options.js";
import { runBench } from "../src/bench/run-bench.js";
import {
  DEFAULT_ENGINE_PROFILE,
  ENGINE_PROFILES,
  type EngineProfileName,
} from "../src/mock/engine-sim/profiles.js";
import { stopAll } from "./processes.js";
import { FLEET_MODEL, type Fleet, type FleetKvAdmission, hasEngineSim, startFleet } from "./routing-fleet.js";
import { renderRoutingHtml } from "./routing-html.js";
import { LoadSampler } from "./routing-load.js";
import {
  knownStrategies,
  parseRoutingOptions,
  ROUTING_WORKLOAD_SHAPES,
  type RoutingOptions,
  type RoutingWorkload,
} from "./routing-options.js";
import {
  ROUTING_SCHEMA,
  type RoutingResult,
  type RoutingRow,
  renderRoutingTable,
  routingRow,
} from "./routing-table.js";

/**
 * Arrivals per second per engine (engine time) near the saturation of the default profile with each
 * open-loop workload: where round robin's TTFT starts to climb (measured with this bench, --load 1).
 * Times the engines, so `--engines` scales them. For the closed loop it is only the rate the time
 * scale is set from (the sessions set the pace): about what the fleet completes there. Agent turns
 * (tens of kilotokens each): 0.5, between what round robin (0.37) and prefix_aware (0.61) complete
 * per engine at the closed loop's default (routing-sim, 16 sessions per engine).
 */
const RATE_PER_ENGINE: Record<RoutingWorkload, number> = {
  "agent-sessions": 0.5,
  "agent-sessions-open": 0.5,
  chat: 40,
  "hot-prefix": 50,
};

/**
 * The share of `--wall-rate` the host sends of a workload. An agent turn is ~180 kB of JSON that the
 * load generator, the gateway and the engine each parse and hash, and it streams more tokens than a
 * chat request, so agent runs go at a quarter of the rate (time scale 1.5 by default). At the full
 * rate (time scale 6) a loaded 2-core host fell behind the engines' clocks, and the run measured
 * the host: late deliveries shorten the think time the engines see, deepening the saturation.
 */
const WALL_RATE_SHARE: Record<RoutingWorkload, number> = {
  "agent-sessions": 0.25,
  "agent-sessions-open": 0.25,
  chat: 1,
  "hot-prefix": 1,
};

/**
 * Open loop: agent sessions open at once, few enough that each gets many turns within a run of a
 * few hundred requests, so its history (not only the shared system prompt) decides where it is warm.
 */
const DEFAULT_OPEN_SESSIONS = 32;

/**
 * Closed loop: concurrent agent sessions per engine, each with one turn in flight or thinking: the
 * fleet's saturation point, defined without looking at any strategy but round robin. It is the
 * fewest sessions per engine at which round robin's engines keep requests waiting for at least half
 * of the run (`node dist/bench/routing-sim.js`, default profile: 12 → 48 %, 16 → 70 %). With
 * prompts of ~40k tokens a session's history is a tenth of an engine's 400k-token KV cache, so
 * 16 sessions' histories fit one engine only if each keeps to one engine, and at 24 or more they do
 * not fit at all (every strategy then recomputes most of every prompt).
 */
const CLOSED_SESSIONS_PER_ENGINE = 16;

/** Every request may ask for this many output tokens at most (the workloads draw fewer). */
const MAX_TOKENS = 512;

/** A run stops after its requests, or after this many times the time they should take. */
const DURATION_MARGIN = 3;

const discard = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});

interface RunPlan {
  workload: RoutingWorkload;
  strategy: string;
  /** Arrivals per second, engine time. */
  rate: number;
  /** Simulated seconds per wall second. */
  timeScale: number;
  engineSim: boolean;
}

/** Concurrent agent sessions of a run. */
export function sessionsFor(workload: RoutingWorkload, options: RoutingOptions): number {
  if (options.sessions !== undefined) return options.sessions;
  return ROUTING_WORKLOAD_SHAPES[workload].loop === "closed"
    ? CLOSED_SESSIONS_PER_ENGINE * options.engines
    : DEFAULT_OPEN_SESSIONS;
}

/**
 * Unmeasured requests before the window. A closed loop needs each session to have sent a turn or
 * two first: its first turn is cold everywhere (its history was never sent), whatever the strategy.
 */
function warmupRequests(workload: RoutingWorkload, options: RoutingOptions): number {
  if (ROUTING_WORKLOAD_SHAPES[workload].loop === "open" || options.quick) return options.warmup;
  return Math.max(options.warmup, 2 * sessionsFor(workload, options));
}

function loadMode(plan: RunPlan, options: RoutingOptions): BenchOptions["mode"] {
  if (ROUTING_WORKLOAD_SHAPES[plan.workload].loop === "closed")
    return { kind: "closed", concurrency: sessionsFor(plan.workload, options) };
  return { kind: "open", rate: plan.rate * plan.timeScale, arrivals: "poisson", maxInflight: 4096 };
}

function benchOptions(plan: RunPlan, fleet: Fleet, options: RoutingOptions): BenchOptions {
  const wallRate = plan.rate * plan.timeScale;
  const shape = ROUTING_WORKLOAD_SHAPES[plan.workload];
  return {
    url: fleet.gateway.url,
    models: [{ model: FLEET_MODEL, share: 1 }],
    protocol: "openai",
    stream: true,
    mode: loadMode(plan, options),
    durationS: (options.requests / wallRate) * DURATION_MARGIN,
    requests: options.requests,
    warmupS: warmupRequests(plan.workload, options) / wallRate,
    promptTokens: parseLength("128"),
    outputTokens: parseLength(String(MAX_TOKENS)),
    maxTokens: MAX_TOKENS,
    workload: shape.workload,
    sessions: sessionsFor(plan.workload, options),
    ...(shape.loop === "closed" ? { thinkMs: options.thinkMs / plan.timeScale } : {}),
    engineMetrics: fleet.engines.map((engine) => `${engine.url}/metrics`),
    slo: { ttftMs: options.ttftSloMs / plan.timeScale },
    view: "plain",
    intervalS: 3600,
    timeoutS: 600,
    seed: options.seed,
  };
}

/** routing-sim's best setting (docs/performance.md): hold 1.5 s, wait bound 15 s, engine time → wall. */
function kvAdmissionFor(options: RoutingOptions, timeScale: number): FleetKvAdmission {
  const profile = ENGINE_PROFILES[(options.profile ?? DEFAULT_ENGINE_PROFILE) as EngineProfileName];
  return {
    cacheTokens: (profile ?? ENGINE_PROFILES[DEFAULT_ENGINE_PROFILE]).kvCacheTokens,
    holdS: Math.max(0.001, 1.5 / timeScale),
    waitS: Math.max(0.001, 15 / timeScale),
  };
}

async function runOne(plan: RunPlan, options: RoutingOptions, tempDir: string): Promise<RoutingRow> {
  const fleet = await startFleet({
    strategy: plan.strategy,
    engines: options.engines,
    engineSim: plan.engineSim,
    timeScale: plan.timeScale,
    profile: options.profile,
    seed: options.seed,
    ttftSloS: options.admission ? options.ttftSloMs / plan.timeScale / 1000 : undefined,
    kvAdmission: options.kvAdmission ? kvAdmissionFor(options, plan.timeScale) : undefined,
    tempDir,
  });
  try {
    const bench = benchOptions(plan, fleet, options);
    const sampler = new LoadSampler(
      fleet.engines.map((engine) => engine.url),
      bench.warmupS * 1000,
    );
    const report = await runBench(bench, { stdout: discard, stderr: discard });
    const engineLoads = await sampler.stop();
    return routingRow({
      workload: plan.workload,
      strategy: plan.strategy,
      ...(ROUTING_WORKLOAD_SHAPES[plan.workload].loop === "closed"
        ? { rate: undefined, sessions: sessionsFor(plan.workload, options) }
        : { rate: plan.rate }),
      engines: options.engines,
      timeScale: plan.timeScale,
      report,
      engineLoads,
    });
  } finally {
    await fleet.stop();
  }
}

/** The engines' time scale for a workload: the host sends its share of `wallRate`, unless one is given. */
function timeScaleFor(
  workload: RoutingWorkload,
  rate: number,
  options: RoutingOptions,
  engineSim: boolean,
): number {
  if (!engineSim) return 1;
  return options.timeScale ?? (options.wallRate * WALL_RATE_SHARE[workload]) / rate;
}

async function writeOutputs(result: RoutingResult, options: RoutingOptions): Promise<void> {
  if (options.json) {
    await mkdir(dirname(options.json), { recursive: true });
    await writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`json: ${options.json}\n`);
  }
  await mkdir(dirname(options.html), { recursive: true });
  await writeFile(options.html, renderRoutingHtml(result));
  process.stdout.write(`html: ${options.html}\n`);
}

async function main(): Promise<void> {
  const options = parseRoutingOptions(process.argv.slice(2));
  const engineSim = await hasEngineSim();
  const { known, skipped } = knownStrategies(options.strategies);
  if (!engineSim)
    process.stderr.write(
      "no engine simulator in this build (mock --engine-sim): plain mocks, every strategy alike\n",
    );
  if (skipped.length > 0) process.stderr.write(`skipped (not in this build): ${skipped.join(", ")}\n`);
  const tempDir = await mkdtemp(join(tmpdir(), "switchyard-routing-"));
  const startedAt = new Date().toISOString();
  const rows: RoutingRow[] = [];
  try {
    for (const workload of options.workloads) {
      const rate = RATE_PER_ENGINE[workload] * options.engines * options.load;
      const timeScale = timeScaleFor(workload, rate, options, engineSim);
      for (const strategy of known) {
        const pace =
          ROUTING_WORKLOAD_SHAPES[workload].loop === "closed"
            ? `${sessionsFor(workload, options)} sessions, closed loop`
            : `${rate.toFixed(1)} req/s`;
        process.stderr.write(`${workload} · ${strategy} · ${pace} (time scale ${timeScale.toFixed(3)}) …\n`);
        rows.push(await runOne({ workload, strategy, rate, timeScale, engineSim }, options, tempDir));
      }
    }
  } finally {
    await stopAll();
    await rm(tempDir, { recursive: true, force: true });
  }
  const result: RoutingResult = {
    schema: ROUTING_SCHEMA,
    startedAt,
    engineSim,
    engines: options.engines,
    wallRate: options.wallRate,
    ttftSloMs: options.ttftSloMs,
    admission: options.admission,
    requests: options.requests,
    warmup: options.warmup,
    seed: options.seed,
    skipped,
    rows,
  };
  process.stdout.write(
    `bench:routing · ${options.engines} engines · times in ms (engine time) · goodput: TTFT ≤ ${options.ttftSloMs} ms\n`,
  );
  process.stdout.write(`${renderRoutingTable(rows)}\n`);
  await writeOutputs(result, options);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench:routing: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll();
  process.exit(1);
});
