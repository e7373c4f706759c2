/**
 * The measured part of `bench:overhead`: the chat requests, the probe that checks a target answers
 * them, and the four load phases per target with the CPU each process spent on them.
 * @module
 */
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers/promises";
import { Pool, request } from "undici";
import { jsonRequest, type LoadMode, type RequestSpec, runLoad, summarize } from "../src/bench/load.js";
import {
  type LoadShape,
  OTHER_CPU_WARNING_PERCENT,
  type Payload,
  type PhaseFigures,
  type TargetName,
} from "./overhead-report.js";
import { readCpuMs, readHostCpuMs, readTreeCpuMs } from "./processes.js";

export const MODEL = "mock-model";

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

export function chatRequest(stream: boolean): RequestSpec {
  return jsonRequest(
    "/v1/chat/completions",
    { model: MODEL, messages: [{ role: "user", content: "Say hello." }], stream, max_tokens: 16 },
    stream,
  );
}

/**
 * One request of each kind before any load, so a target that answers wrongly is reported, not timed.
 * A 503 is retried for a few seconds: a gateway may not have finished its first health check.
 */
export async function probe(url: string, patienceMs = 10_000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (const stream of [false, true]) {
    const spec = chatRequest(stream);
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
      if (response.statusCode !== 200)
        throw new Error(`probe (stream=${stream}): HTTP ${response.statusCode} ${text.slice(0, 300)}`);
      if (stream && !text.includes("data: [DONE]"))
        throw new Error("probe (stream=true): no `data: [DONE]` in the stream");
      break;
    }
  }
}

/**
 * Runs JSON then streaming, each closed loop then open loop, against `url`. A phase in which other
 * processes used more than OTHER_CPU_WARNING_PERCENT of a core is run again while `budget` lasts,
 * keeping the quieter of the two. Stops early (returning what it has) when `signal` aborts.
 */
export async function runPhases(
  target: TargetName,
  url: string,
  pids: Pids,
  options: PhaseOptions,
  budget: RetryBudget,
  signal: AbortSignal,
  label: string = target,
): Promise<PhaseFigures[]> {
  const phases: PhaseFigures[] = [];
  const shapes: [LoadShape, LoadMode, string][] = [
    ["closed", { kind: "closed", concurrency: options.concurrency }, `${options.concurrency} conn`],
    ["open", { kind: "open", rate: options.rate, precise: options.precise }, `${options.rate}/s`],
  ];
  for (const payload of ["json", "stream"] as Payload[]) {
    for (const [load, mode, loadLabel] of shapes) {
      if (signal.aborted) return phases;
      const plan = { target, payload, load, loadLabel, mode };
      process.stderr.write(`  ${label} ${payload} ${loadLabel} …\n`);
      let figures = await runPhase(plan, url, pids, options, signal);
      let latest = figures;
      for (let rerun = 0; rerun < MAX_RERUNS_PER_PHASE && budget.left > 0; rerun++) {
        if (!figures || !latest || (latest.otherCpuPercent ?? 0) <= OTHER_CPU_WARNING_PERCENT) break;
        budget.left--;
        process.stderr.write(
          `    other processes used ${Math.round(latest.otherCpuPercent!)}% CPU: again …\n`,
        );
        latest = await runPhase(plan, url, pids, options, signal);
        if (!latest) break;
        const quieter = (latest.otherCpuPercent ?? 0) < (figures.otherCpuPercent ?? 0) ? latest : figures;
        figures = { ...quieter, attempts: (figures.attempts ?? 1) + 1 };
      }
      if (!figures) return phases;
      phases.push(figures);
    }
  }
  return phases;
}

interface PhasePlan {
  target: TargetName;
  payload: Payload;
  load: LoadShape;
  loadLabel: string;
  mode: LoadMode;
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
    request: chatRequest(plan.payload === "stream"),
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
