/**
 * `npm run bench:overhead`: what the gateway costs over calling the backend directly and over the
 * least a Node proxy can do, in one run on one machine (docs/performance.md).
 *
 * Starts the zero-delay mock, then for each target in turn (direct → the mock itself, proxy →
 * bench/baseline-proxy.ts, gateway → `switchyard gateway`) runs its phases: JSON and streaming chat
 * completions, each at a fixed concurrency (closed loop) and at a fixed rate (open loop, latency from
 * the scheduled send time). Only the target under test and the mock run during its phases.
 * Prints the figures, the ratios against the targets, and optionally writes them all as JSON.
 *
 * `--protocols` adds the Responses API and Anthropic Messages on the gateway (bridged to the chat
 * mock, or with `--native` also piped to a backend entry declaring `native_apis`), each compared with
 * the gateway's own chat phases at `--protocol-rate` (overhead-protocols.ts, overhead-protocol-report.ts).
 *
 * `--redis`, `--workers` and `--access-log` run the gateway more than once, in the same run
 * (overhead-variants.ts): with memory state and with state in a private redis-server started for
 * it, with 1 and N worker processes, with the access log off and on, then compare the variants.
 * @module
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { computeLongPromptVerdicts, LONG_PROMPT_STRATEGIES } from "./overhead-long-prompt.js";
import { type Options, parseOptions } from "./overhead-options.js";
import { planPhases, type RetryBudget } from "./overhead-phases.js";
import {
  computeProtocolVerdicts,
  renderProtocolCosts,
  renderProtocolVerdictLines,
} from "./overhead-protocol-report.js";
import {
  computeVerdicts,
  OTHER_CPU_WARNING_PERCENT,
  renderPhases,
  renderVerdicts,
  TARGETS,
  type TargetName,
  type TargetReport,
} from "./overhead-report.js";
import { benchTarget, StartError, type StartedMock, startMock } from "./overhead-targets.js";
import {
  computeVariantVerdicts,
  type GatewayVariant,
  gatewayVariants,
  variantLabel,
} from "./overhead-variants.js";
import { readMemory, stopAll } from "./processes.js";
import { redisServerInstalled } from "./redis-server.js";

/** One target run of the whole benchmark, in order. */
interface Run {
  target: TargetName;
  variant: GatewayVariant;
  /** Whether it runs (in --only); skipped runs are still reported. */
  selected: boolean;
  flavours: Options["flavours"];
  longPrompt: boolean;
}

/**
 * Every target run: direct, proxy, then each gateway variant. Protocols other than chat run on the
 * first (baseline) gateway variant only: the mock answers them only through the gateway, and the
 * comparison with chat needs one gateway, not every variant.
 */
function plannedRuns(options: Options, variants: readonly GatewayVariant[]): Run[] {
  return TARGETS.flatMap((target) =>
    (target === "gateway" ? variants : variants.slice(0, 1)).map((variant, index) => ({
      target,
      variant,
      selected: options.only.includes(target),
      flavours: target === "gateway" && index === 0 ? options.flavours : (["chat"] as const),
      longPrompt: target === "gateway" && index === 0 && options.longPrompt,
    })),
  );
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Seconds of load the runs will take (warm-up included), for the opening line. */
function loadSeconds(options: Options, runs: readonly Run[]): number {
  const perPhase = options.warmup + options.duration;
  return runs
    .filter((run) => run.selected)
    .reduce(
      (sum, run) =>
        sum +
        (planPhases(run.target, options, run.flavours, options.protocolRate).length +
          (run.longPrompt ? LONG_PROMPT_STRATEGIES.length : 0)) *
          perPhase,
      0,
    );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.redis && !redisServerInstalled())
    throw new StartError(
      "--redis needs `redis-server` on PATH (Debian/Ubuntu: apt-get install -y redis-server); " +
        "the benchmark starts a private one and never uses a server that is already running",
    );
  const variants = gatewayVariants(options);
  const runs = plannedRuns(options, variants);
  const interrupt = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: stopping the current phase …\n");
    interrupt.abort();
    process.once("SIGINT", () => process.exit(130));
  });

  const host = machine();
  const names = runs
    .filter((run) => run.selected)
    .map((run) => (run.target === "gateway" ? variantLabel(run.variant) : run.target));
  process.stderr.write(
    `bench:overhead — ${names.join(", ")}; protocols ${options.flavours.join(", ")} on the gateway; ` +
      `phases of ${options.warmup + options.duration} s (~${Math.round(loadSeconds(options, runs))} s of load)\n`,
  );
  const tempDir = await mkdtemp(join(tmpdir(), "switchyard-bench-"));
  const reports: TargetReport[] = [];
  const notes: string[] = [];
  const budget: RetryBudget = { left: options.retries };
  let mockMemory: ReturnType<typeof readMemory>;
  try {
    let started: StartedMock | undefined;
    if (!options.mockUrl) {
      started = await startMock(options.flavours, options.longPrompt);
      if (started.note) {
        notes.push(`Note: ${started.note}.`);
        process.stderr.write(`${started.note}\n`);
      }
    }
    const mock = {
      url: options.mockUrl ?? started!.mock.url,
      pid: started?.mock.pid,
      marksNative: started?.marksNative ?? false,
    };
    for (const { target, variant, selected, flavours, longPrompt } of runs) {
      const labels = target === "gateway" ? { label: variantLabel(variant), variant } : {};
      if (!selected || interrupt.signal.aborted) {
        reports.push({ target, ...labels, status: "skipped", phases: [] });
        continue;
      }
      process.stderr.write(`${labels.label ?? target}:\n`);
      const context = { tempDir, budget, signal: interrupt.signal, variant, flavours, longPrompt };
      reports.push(await benchTarget(target, mock, options, context));
    }
    mockMemory = mock.pid === undefined ? undefined : readMemory(mock.pid);
  } finally {
    await stopAll();
    await rm(tempDir, { recursive: true, force: true });
  }

  const verdicts = [
    ...computeVerdicts(reports),
    ...computeProtocolVerdicts(reports, options.protocolRate),
    ...computeVariantVerdicts(reports, variants),
    ...computeLongPromptVerdicts(reports),
  ];
  const report = renderReport(options, variants, { host, reports, verdicts, mockMemory });
  console.log(
    [
      ...report,
      ...notes,
      ...(interrupt.signal.aborted ? ["Interrupted: the figures above are partial."] : []),
    ].join("\n"),
  );

  if (options.json) {
    const document = {
      machine: host,
      options,
      reports,
      verdicts,
      mockMemory,
      date: new Date().toISOString(),
    };
    await writeFile(options.json, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`\nJSON written to ${options.json}`);
  }
  if (interrupt.signal.aborted) process.exitCode = 130;
}

interface Outcome {
  host: ReturnType<typeof machine>;
  reports: TargetReport[];
  verdicts: ReturnType<typeof computeVerdicts>;
  mockMemory: ReturnType<typeof readMemory>;
}

/** The text report: the phases, each protocol against chat, the verdicts, memory, and how to read them. */
function renderReport(options: Options, variants: readonly GatewayVariant[], outcome: Outcome): string[] {
  const { host, reports, verdicts, mockMemory } = outcome;
  const protocolCosts = renderProtocolCosts(reports);
  const protocolLines = renderProtocolVerdictLines(reports, options.protocolRate);
  const lines = [
    "",
    `Switchyard gateway overhead — ${new Date().toISOString()}`,
    `machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, ${host.platform}`,
    `phases: ${options.warmup} s warm-up + ${options.duration} s measured; closed loop ${options.concurrency} ` +
      `connections, open loop ${options.rate} req/s (latency from the scheduled send time)`,
    ...(options.flavours.length > 1
      ? [
          `protocols on the gateway: ${options.flavours.join(", ")}; each compared with the gateway's chat ` +
            `phases, open loop at ${options.protocolRate} req/s (--protocol-rate)`,
        ]
      : []),
    ...(variants.length > 1 || variants[0]!.cap > 0 ? [gatewayLine(variants)] : []),
    ...(options.longPrompt
      ? [
          `long prompt (payload "long"): a ~100 kB agent-shaped chat body, open loop at ${options.longPromptRate ?? options.rate} req/s, ` +
            "routed by round_robin, then prefix_aware (two entries of the mock), on the first gateway variant",
        ]
      : []),
    "",
    renderPhases(reports),
    ...(protocolCosts ? ["", protocolCosts] : []),
    "",
    renderVerdicts(verdicts),
    ...(protocolLines.length > 0 ? ["", ...protocolLines] : []),
    "",
    ...reports
      .filter((report) => report.memory)
      .map(
        (report) =>
          `${report.label ?? report.target} RSS after its phases${(report.variant?.workers ?? 1) > 1 ? " (primary + workers)" : ""}: ${memoryText(report.memory!)}`,
      ),
    ...(mockMemory ? [`mock RSS after the run: ${memoryText(mockMemory)}`] : []),
    "",
    "Notes: µs CPU/req is the process's CPU (user+system, from /proc) per answered request; gen CPU is the",
    "load generator's and other CPU everything else on the host (100% = one core); a phase with other CPU",
    `over ${OTHER_CPU_WARNING_PERCENT}% is rerun (--retries, ${options.retries} per run) and the quieter run kept. The generator, the target`,
    `and the mock share ${host.cores} cores, so closed-loop req/s are CPU-bound and compare only within this run;`,
    "targets run one at a time (only the target and the mock are up, and the redis-server of a gateway with Redis). " +
      (options.precise
        ? "Open loop busy-waits one core for µs-accurate send times (--no-precise: timers, ≤ ~1 ms late)."
        : "Open loop sends on Node timers: up to ~1 ms of send lag is in every latency figure."),
  ];
  if (options.flavours.length > 1)
    lines.push(
      "Protocols other than chat run on the first gateway variant only (the mock speaks chat; Responses and " +
        "Messages reach it through the gateway's bridge, or piped as they are to the `-native` backend entry).",
    );
  if (variants.some((variant) => variant.workers > 1))
    lines.push(
      `A gateway with workers is its primary and the workers: µs CPU/req adds them all. ${host.cores} cores ` +
        "are shared with the generator and the mock, so more workers can only scale as far as idle cores allow.",
    );
  if (variants.some((variant) => variant.state === "redis"))
    lines.push(
      "Redis state: every request takes a lease in the private redis-server (one script round trip) and " +
        "releases it after the answer; redis µs/req is that server's CPU. The memory variant has the same cap, " +
        "decided in process.",
    );
  return lines;
}

function gatewayLine(variants: readonly GatewayVariant[]): string {
  const cap = variants[0]!.cap;
  return (
    `gateway variants: ${variants.map(variantLabel).join(", ")}; backend max_connections ` +
    (cap > 0 ? String(cap) : "0 (no cap: no request touches shared state)")
  );
}

function memoryText(memory: { rssMiB: number; peakMiB: number }): string {
  return `${memory.rssMiB.toFixed(1)} MiB (peak ${memory.peakMiB.toFixed(1)} MiB)`;
}

const fail = (error: unknown) => {
  const text =
    error instanceof StartError ? error.message : error instanceof Error ? error.stack : String(error);
  console.error(`bench:overhead: ${text}`);
  void stopAll().finally(() => process.exit(1));
};
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

await main().catch(fail);
