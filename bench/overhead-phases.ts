/**
 * The measured part of `bench:overhead`: the probe that checks a target answers each protocol it
 * will be timed on, the plan of load phases per target, and the phases themselves with the CPU each
 * process spent on them.
 * @module
 */
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers/promises";
import { Pool, request } from "undici";
import { type LoadMode, runLoad, summarize } from "../src/bench/load.js";
import { type LongPromptStrategy, longPromptRequests } from "./overhead-long-prompt.js";
import { type Flavour, nativeMarkProblem, probeProblem, protocolRequest } from "./overhead-protocols.js";
import {
  type LoadShape,
  OTHER_CPU_WARNING_PERCENT,
  type Payload,
  type PhaseFigures,
  type TargetName,
} from "./overhead-report.js";
import { readCpuMs, readHostCpuMs, readTreeCpuMs } from "./processes.js";

/** A noisy phase is rerun at most this often, so one long burst of foreign load cannot use the whole budget. */
const MAX_RERUNS_PER_PHASE = 2;

export interface PhaseOptions {
  duration: number;
  warmup: number;
  concurrency: number;
  rate: number;
  precise: boolean;
}

/**
 * Processes whose CPU is read: the target (the mock, for `direct`; with the processes it forked,
 * such as `--workers`), the mock behind it, and the redis-server a gateway keeps its state in.
 */
export interface Pids {
  target: number | undefined;
  mock: number | undefined;
  redis?: number | undefined;
  /** False when a process serving the load is not ours to read (an external --mock-url backend). */
  complete: boolean;
}

/** Phases rerun because other processes used the CPU; shared by all targets of one run. */
export interface RetryBudget {
  left: number;
}

/**
 * One request of each kind and protocol before any load, so a target that answers wrongly is
 * reported, not timed. Chat must answer (else the target is unavailable, thrown); another flavour
 * that fails is returned with why, and its phases are left out. With `marksNative` (a mock started
 * with `--native-apis`) a native flavour's answer must carry the mock's mark. A 503 is retried for
 * a few seconds: a gateway may not have finished its first health check.
 */
export async function probe(
  url: string,
  flavours: readonly Flavour[] = ["chat"],
  options: { marksNative?: boolean; patienceMs?: number } = {},
): Promise<Partial<Record<Flavour, string>>> {
  const deadline = Date.now() + (options.patienceMs ?? 10_000);
  const failures: Partial<Record<Flavour, string>> = {};
  for (const flavour of flavours) {
    const problem = await probeFlavour(url, flavour, deadline, options.marksNative ?? false);
    if (problem === undefined) continue;
    if (flavour === "chat") throw new Error(problem);
    failures[flavour] = problem;
  }
  return failures;
}

async function probeFlavour(
  url: string,
  flavour: Flavour,
  deadline: number,
  marksNative: boolean,
): Promise<string | undefined> {
  for (const stream of [false, true]) {
    const spec = protocolRequest(flavour, stream);
    for (;;) {
      const response = await request(new URL(spec.path, url), {
        method: "POST",
        headers: spec.headers,
        body: spec.body,
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      const text = await response.body.text();
      if (response.statusCode === 503 && Date.now() < deadline) {
        await setTimeout(250);
        continue;
      }
      const where = `probe (${flavour === "chat" ? "" : `${flavour}, `}stream=${stream})`;
      if (response.statusCode !== 200) return `${where}: HTTP ${response.statusCode} ${text.slice(0, 300)}`;
      const problem =
        probeProblem(flavour, stream, text) ??
        (marksNative ? nativeMarkProblem(flavour, response.headers) : undefined);
      if (problem) return `${where}: ${problem}`;
      break;
    }
  }
  return undefined;
}

export interface PhasePlan {
  target: TargetName;
  protocol: Flavour;
  payload: Payload;
  load: LoadShape;
  /** `64 conn` or `1000/s`. */
  loadLabel: string;
  mode: LoadMode;
  /** Open loop: requests per second. */
  rate?: number;
  /** A long-prompt phase's routing strategy (overhead-long-prompt.ts). */
  strategy?: LongPromptStrategy;
}

/**
 * The phases of one target, JSON then streaming: closed loop for each flavour, then open loop at
 * `rate` (chat) and at `protocolRate` (every flavour, chat included, so each protocol is compared
 * with chat at the same rate). With chat alone, or both rates equal, there is one open-loop rate.
 * Flavours of one payload and load run back to back so drift on the host moves them alike.
 */
export function planPhases(
  target: TargetName,
  options: Pick<PhaseOptions, "concurrency" | "rate" | "precise">,
  flavours: readonly Flavour[],
  protocolRate: number,
): PhasePlan[] {
  const others = flavours.some((flavour) => flavour !== "chat");
  const rates = others ? [...new Set([options.rate, protocolRate])] : [options.rate];
  const plans: PhasePlan[] = [];
  for (const payload of ["json", "stream"] as Payload[]) {
    for (const protocol of flavours) {
      const mode: LoadMode = { kind: "closed", concurrency: options.concurrency };
      plans.push({
        target,
        protocol,
        payload,
        load: "closed",
        loadLabel: `${options.concurrency} conn`,
        mode,
      });
    }
    for (const rate of rates) {
      const mode: LoadMode = { kind: "open", rate, precise: options.precise };
      for (const protocol of others && rate === protocolRate ? flavours : (["chat"] as const))
        plans.push({ target, protocol, payload, load: "open", loadLabel: `${rate}/s`, mode, rate });
    }
  }
  return plans;
}

/**
 * Runs `plans` in order against `url`. A phase in which other processes used more than
 * OTHER_CPU_WARNING_PERCENT of a core is run again while `budget` lasts, keeping the quieter of the
 * two. Stops early (returning what it has) when `signal` aborts.
 */
export async function runPhases(
  plans: readonly PhasePlan[],
  url: string,
  pids: Pids,
  options: PhaseOptions,
  budget: RetryBudget,
  signal: AbortSignal,
  label: string,
): Promise<PhaseFigures[]> {
  const phases: PhaseFigures[] = [];
  for (const plan of plans) {
    if (signal.aborted) return phases;
    const protocol = plan.protocol === "chat" ? "" : `${plan.protocol} `;
    process.stderr.write(`  ${label} ${protocol}${plan.payload} ${plan.loadLabel} …\n`);
    let figures = await runPhase(plan, url, pids, options, signal);
    let latest = figures;
    for (let rerun = 0; rerun < MAX_RERUNS_PER_PHASE && budget.left > 0; rerun++) {
      if (!figures || !latest || (latest.otherCpuPercent ?? 0) <= OTHER_CPU_WARNING_PERCENT) break;
      budget.left--;
      process.stderr.write(`    other processes used ${Math.round(latest.otherCpuPercent!)}% CPU: again …\n`);
      latest = await runPhase(plan, url, pids, options, signal);
      if (!latest) break;
      const quieter = (latest.otherCpuPercent ?? 0) < (figures.otherCpuPercent ?? 0) ? latest : figures;
      figures = { ...quieter, attempts: (figures.attempts ?? 1) + 1 };
    }
    if (!figures) return phases;
    phases.push(figures);
  }
  return phases;
}

/**
 * Before the first phase of a target with several protocols: each protocol's JSON and streaming
 * path under closed-loop load for `warmup` seconds, unmeasured. Each phase also has its own warm-up,
 * but the code behind a protocol the target has not yet served is still cold (not yet optimised)
 * then, which would flatter whichever protocol runs later.
 */
export async function warmTarget(
  url: string,
  flavours: readonly Flavour[],
  options: PhaseOptions,
  signal: AbortSignal,
): Promise<void> {
  if (options.warmup <= 0 || flavours.length < 2) return;
  const pool = new Pool(url, { connections: options.concurrency, pipelining: 1 });
  try {
    for (const flavour of flavours)
      for (const stream of [false, true]) {
        if (signal.aborted) return;
        await runLoad({
          url,
          request: protocolRequest(flavour, stream),
          mode: { kind: "closed", concurrency: options.concurrency },
          dispatcher: pool,
          timeoutMs: 10_000,
          signal,
          durationMs: options.warmup * 1000,
        });
      }
  } finally {
    await pool.destroy();
  }
}

/** One phase: warm-up, then the measured window on the same warm pool. Undefined when interrupted. */
async function runPhase(
  plan: PhasePlan,
  url: string,
  pids: Pids,
  options: PhaseOptions,
  signal: AbortSignal,
): Promise<PhaseFigures | undefined> {
  if (signal.aborted) return undefined;
  const pool = new Pool(url, { connections: options.concurrency, pipelining: 1 });
  const common = {
    url,
    request: plan.strategy
      ? longPromptRequests(plan.strategy)
      : protocolRequest(plan.protocol, plan.payload === "stream"),
    mode: plan.mode,
    dispatcher: pool,
    timeoutMs: 10_000,
    signal,
  };
  try {
    // Warm-up is a run of its own, so CPU is read over the measured window only.
    if (options.warmup > 0) await runLoad({ ...common, durationMs: options.warmup * 1000 });
    const before = cpuSnapshot(pids);
    const result = await runLoad({ ...common, durationMs: options.duration * 1000 });
    const cpu = cpuSince(before, pids, result.ok + result.errors.total);
    if (result.aborted) return undefined; // a partial window is not a figure
    const { mode: _, ...labels } = plan;
    return { ...labels, summary: summarize(result), ...cpu };
  } finally {
    await pool.destroy();
  }
}

interface CpuSnapshot {
  at: number;
  host: number | undefined;
  self: number;
  target: number | undefined;
  mock: number | undefined;
  redis: number | undefined;
}

function cpuSnapshot(pids: Pids): CpuSnapshot {
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    host: readHostCpuMs(),
    self: (self.user + self.system) / 1000,
    target: pids.target === undefined ? undefined : readTreeCpuMs(pids.target),
    mock: pids.mock === undefined ? undefined : readCpuMs(pids.mock),
    redis: pids.redis === undefined ? undefined : readCpuMs(pids.redis),
  };
}

/** CPU per answered request of the target and the mock, and what the rest of the host used (% of a core). */
function cpuSince(
  before: CpuSnapshot,
  pids: Pids,
  answered: number,
): Pick<
  PhaseFigures,
  "targetCpuMsPerRequest" | "mockCpuMsPerRequest" | "redisCpuMsPerRequest" | "otherCpuPercent"
> {
  const after = cpuSnapshot(pids);
  const delta = (key: "host" | "target" | "mock" | "redis") => {
    const start = before[key];
    const end = after[key];
    return start === undefined || end === undefined ? undefined : end - start;
  };
  const [host, target, mock, redis] = [delta("host"), delta("target"), delta("mock"), delta("redis")];
  const perRequest = (ms: number | undefined) =>
    ms === undefined || answered === 0 ? undefined : ms / answered;
  const ours = after.self - before.self + (target ?? 0) + (mock ?? 0) + (redis ?? 0);
  return {
    targetCpuMsPerRequest: perRequest(target),
    mockCpuMsPerRequest: perRequest(mock),
    ...(redis === undefined ? {} : { redisCpuMsPerRequest: perRequest(redis) }),
    otherCpuPercent:
      host === undefined || !pids.complete
        ? undefined
        : Math.max(0, ((host - ours) / (after.at - before.at)) * 100),
  };
}
