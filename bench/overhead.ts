/**
 * `npm run bench:overhead`: what the gateway costs over calling the backend directly and over the
 * least a Node proxy can do, in one run on one machine (docs/performance.md).
 *
 * Starts the zero-delay mock, then for each target in turn (direct → the mock itself, proxy →
 * bench/baseline-proxy.ts, gateway → `switchyard gateway`) runs four phases: JSON and streaming chat
 * completions, each at a fixed concurrency (closed loop) and at a fixed rate (open loop, latency from
 * the scheduled send time). Only the target under test and the mock run during its phases.
 * Prints the figures, the ratios against the targets, and optionally writes them all as JSON.
 *
 * `--redis`, `--workers` and `--access-log` run the gateway more than once, in the same run
 * (overhead-variants.ts): with memory state and with state in a private redis-server started for
 * it, with 1 and N worker processes, with the access log off and on, then compare the variants.
 * @module
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import {
  MODEL,
  type PhaseOptions,
  type Pids,
  probe,
  type RetryBudget,
  runPhases,
} from "./overhead-phases.js";
import {
  computeVerdicts,
  OTHER_CPU_WARNING_PERCENT,
  renderPhases,
  renderVerdicts,
  TARGETS,
  type TargetName,
  type TargetReport,
} from "./overhead-report.js";
import {
  computeVariantVerdicts,
  type GatewayVariant,
  gatewayVariants,
  parseWorkerCounts,
  variantLabel,
} from "./overhead-variants.js";
import { type BenchProcess, readMemory, readTreeMemory, startProcess, stopAll } from "./processes.js";
import { BenchRedis, redisServerInstalled } from "./redis-server.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));
const BASELINE_PROXY = fileURLToPath(new URL("./baseline-proxy.js", import.meta.url));
interface Options extends PhaseOptions {
  json?: string;
  only: TargetName[];
  mockUrl?: string;
  retries: number;
  redis: boolean;
  workers: number[];
  cap?: number;
  accessLog: boolean;
}

function positive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${text}"`);
  return value;
}

function nonNegative(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${text}"`);
  return value;
}

function workerCounts(text: string): number[] {
  const counts = parseWorkerCounts(text);
  if (!counts)
    throw new InvalidArgumentError(`expected N or a list like 1,2,4 (whole numbers ≥ 1), got "${text}"`);
  return counts;
}

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${text}"`);
  return value;
}

function targetList(text: string): TargetName[] {
  const names = text.split(",").map((name) => name.trim());
  for (const name of names)
    if (!(TARGETS as readonly string[]).includes(name))
      throw new InvalidArgumentError(`unknown target "${name}" (expected ${TARGETS.join(", ")})`);
  return names as TargetName[];
}

function parseOptions(argv: readonly string[]): Options {
  const program = new Command("bench:overhead")
    .description("Gateway overhead: direct mock vs minimal undici proxy vs Switchyard gateway")
    .option("--duration <s>", "measured seconds per phase", positive, 5)
    .option("--warmup <s>", "warm-up seconds per phase", nonNegative, 1)
    .option("--concurrency <n>", "connections of the closed-loop phases", positive, 64)
    .option("--rate <n>", "requests per second of the open-loop phases", positive, 1000)
    .option("--json <file>", "also write every figure to this JSON file")
    .option("--only <targets>", "comma-separated subset of direct,proxy,gateway", targetList, [...TARGETS])
    .option("--no-precise", "open loop: send on Node timers (≤ ~1 ms late) instead of busy-waiting a core")
    .option("--retries <n>", "phases rerun when other processes use the CPU (whole run)", nonNegative, 4)
    .option("--mock-url <url>", "use this running backend instead of starting `switchyard mock`")
    .option(
      "--redis",
      "run the gateway twice, memory state then state in a private redis-server (capped backend), and compare",
      false,
    )
    .option(
      "--workers <n|list>",
      "run the gateway with 1 and N workers (or each count of a list like 1,2,4) and compare",
      workerCounts,
      [1],
    )
    .option(
      "--access-log",
      "run the gateway twice, access log off then on (one line per request to its stdout), and compare",
      false,
    )
    .option(
      "--cap <n>",
      "max_connections of the benchmarked backend (0: none; default 0, or 100000 with --redis so every request takes a lease)",
      wholeNumber,
    )
    .parse(argv, { from: "user" });
  return program.opts<Options>();
}

async function startTarget(
  target: TargetName,
  mockUrl: string,
  options: Options,
  gateway: { tempDir: string; variant: GatewayVariant; redisUrl: string | undefined },
) {
  if (target === "proxy")
    return startProcess("baseline proxy", BASELINE_PROXY, [
      mockUrl,
      "--connections",
      String(Math.max(options.concurrency, 16)),
    ]);
  const { variant, redisUrl } = gateway;
  const config = join(gateway.tempDir, "gateway.json");
  await writeFile(
    config,
    JSON.stringify({
      strategy: "round_robin",
      health_interval: 5,
      backends: [{ name: "bench-mock", url: mockUrl, models: [MODEL], max_connections: variant.cap }],
    }),
  );
  return startProcess(variantLabel(variant), CLI, [
    "gateway",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--config",
    config,
    "--log-level",
    "warn",
    "--workers",
    String(variant.workers),
    "--access-log",
    String(variant.accessLog),
    ...(redisUrl ? ["--redis", redisUrl] : []),
  ]);
}

async function benchTarget(
  target: TargetName,
  mock: { url: string; pid: number | undefined },
  options: Options,
  context: { tempDir: string; budget: RetryBudget; signal: AbortSignal; variant: GatewayVariant },
): Promise<TargetReport> {
  const { variant } = context;
  const labels =
    target === "gateway" ? { label: variantLabel(variant), variant } : ({} as Partial<TargetReport>);
  let child: BenchProcess | undefined;
  let redis: BenchRedis | undefined;
  try {
    // A fresh Redis per variant: nothing left from an earlier run, and no CPU used outside its phases.
    if (target === "gateway" && variant.state === "redis") redis = await BenchRedis.start();
    if (target !== "direct")
      child = await startTarget(target, mock.url, options, { ...context, redisUrl: redis?.url });
    const url = child?.url ?? mock.url;
    await probe(url);
    const pids: Pids =
      target === "direct"
        ? { target: mock.pid, mock: undefined, complete: mock.pid !== undefined }
        : { target: child?.pid, mock: mock.pid, redis: redis?.pid, complete: mock.pid !== undefined };
    const label = labels.label ?? target;
    const phases = await runPhases(target, url, pids, options, context.budget, context.signal, label);
    // The direct target is the mock, whose memory is reported once at the end.
    const memory = child ? readTreeMemory(child.pid) : undefined;
    return { target, ...labels, status: "ok", phases, ...(memory ? { memory } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { target, ...labels, status: "unavailable", error: message, phases: [] };
  } finally {
    await child?.stop();
    await redis?.stop();
  }
}

async function startMock(): Promise<BenchProcess> {
  try {
    return await startProcess("mock", CLI, [
      "mock",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--id",
      "bench-mock",
    ]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StartError(
      `${message}\n(--mock-url <url> benchmarks against a backend that is already running)`,
    );
  }
}

/** A failure to start what the benchmark needs: reported in one message, without a stack. */
class StartError extends Error {}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.redis && !redisServerInstalled())
    throw new StartError(
      "--redis needs `redis-server` on PATH (Debian/Ubuntu: apt-get install -y redis-server); " +
        "the benchmark starts a private one and never uses a server that is already running",
    );
  const variants = gatewayVariants(options);
  const runs = options.only.flatMap((target) =>
    target === "gateway" ? variants.map(() => target) : [target],
  );
  const interrupt = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: stopping the current phase …\n");
    interrupt.abort();
    process.once("SIGINT", () => process.exit(130));
  });

  const host = machine();
  const perTarget = 4 * (options.duration + options.warmup);
  const names = options.only.flatMap((target) =>
    target === "gateway" ? variants.map(variantLabel) : [target],
  );
  process.stderr.write(
    `bench:overhead — ${names.join(", ")}; 4 phases × ${options.warmup + options.duration} s each ` +
      `(~${Math.round(perTarget * runs.length)} s of load)\n`,
  );
  const tempDir = await mkdtemp(join(tmpdir(), "switchyard-bench-"));
  const reports: TargetReport[] = [];
  const budget: RetryBudget = { left: options.retries };
  let mockMemory: ReturnType<typeof readMemory>;
  try {
    const mockProcess = options.mockUrl ? undefined : await startMock();
    const mock = { url: options.mockUrl ?? mockProcess!.url, pid: mockProcess?.pid };
    for (const target of TARGETS) {
      for (const variant of target === "gateway" ? variants : variants.slice(0, 1)) {
        const labels = target === "gateway" ? { label: variantLabel(variant), variant } : {};
        if (!options.only.includes(target) || interrupt.signal.aborted) {
          reports.push({ target, ...labels, status: "skipped", phases: [] });
          continue;
        }
        process.stderr.write(`${labels.label ?? target}:\n`);
        reports.push(
          await benchTarget(target, mock, options, { tempDir, budget, signal: interrupt.signal, variant }),
        );
      }
    }
    mockMemory = mock.pid === undefined ? undefined : readMemory(mock.pid);
  } finally {
    await stopAll();
    await rm(tempDir, { recursive: true, force: true });
  }

  const verdicts = [...computeVerdicts(reports), ...computeVariantVerdicts(reports, variants)];
  const lines = [
    "",
    `Switchyard gateway overhead — ${new Date().toISOString()}`,
    `machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, ${host.platform}`,
    `phases: ${options.warmup} s warm-up + ${options.duration} s measured; closed loop ${options.concurrency} ` +
      `connections, open loop ${options.rate} req/s (latency from the scheduled send time)`,
    ...(variants.length > 1 || variants[0]!.cap > 0 ? [gatewayLine(variants)] : []),
    "",
    renderPhases(reports),
    "",
    renderVerdicts(verdicts),
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
  if (interrupt.signal.aborted) lines.push("Interrupted: the figures above are partial.");
  console.log(lines.join("\n"));

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
