/**
 * `npm run bench:instructions`: what one request costs the gateway and the baseline proxy, counted
 * in instructions by valgrind's callgrind, a figure the host's load does not move
 * (docs/performance.md: judging the hot path).
 *
 * Starts one `switchyard mock` normally, then each target in turn under callgrind (instrumented
 * once it is ready), and for each protocol and payload: sends `--warmup` requests, zeroes the
 * counters, sends `--requests` more and dumps them, `--rounds` times. The load comes from this
 * process, outside valgrind, one request at a time by default; only the target's instructions are
 * counted. Prints instructions per request and proxy ÷ gateway, the throughput ratio a CPU-bound
 * gateway would reach.
 * @module
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, request } from "undici";
import { runLoad } from "../src/bench/load.js";
import {
  type AnnotatedFunction,
  annotate,
  CallgrindControl,
  callgrindArgs,
  callgrindMissing,
} from "./callgrind.js";
import { breakdown, renderBreakdown } from "./instructions-breakdown.js";
import {
  type InstructionOptions,
  type InstructionPayload,
  type InstructionTarget,
  parseInstructionOptions,
} from "./instructions-options.js";
import { type InstructionPhase, proxyRatio, renderInstructionTable } from "./instructions-report.js";
import { type Flavour, MODEL, probeProblem, protocolRequest } from "./overhead-protocols.js";
import { StartError, startMock } from "./overhead-targets.js";
import { parsePerfMap, symbolize } from "./perf-map.js";
import { type BenchProcess, startCommand, stopAll } from "./processes.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));
const BASELINE_PROXY = fileURLToPath(new URL("./baseline-proxy.js", import.meta.url));

/** Start-up under valgrind takes tens of seconds, minutes on a loaded host. */
const START_TIMEOUT_MS = 300_000;
/** One request under valgrind can take a second or more on a loaded host. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The gateway's config: one backend, no health checks. A check every few seconds would land on
 * more or fewer requests as the host's load slows valgrind, so it is left out of the count.
 */
function gatewayConfig(mockUrl: string): unknown {
  return {
    strategy: "round_robin",
    health_interval: 0,
    backends: [{ name: "bench-mock", url: mockUrl, models: [MODEL] }],
  };
}

async function startTarget(
  target: InstructionTarget,
  mockUrl: string,
  options: InstructionOptions,
  tempDir: string,
): Promise<{ process: BenchProcess; outFile: string }> {
  const outFile = join(options.keep ?? tempDir, `callgrind.${target}`);
  let script = BASELINE_PROXY;
  let args = [mockUrl, "--connections", String(Math.max(options.concurrency, 16))];
  if (target === "gateway") {
    const config = join(tempDir, "gateway.json");
    await writeFile(config, JSON.stringify(gatewayConfig(mockUrl)));
    script = CLI;
    args = ["gateway", "--host", "127.0.0.1", "--port", "0", "--config", config, "--log-level", "warn"];
  }
  // --annotate names JIT code by node's perf map (perf-map.ts).
  const mapFlags = options.annotate > 0 ? [PERF_MAP_FLAG] : [];
  const nodeFlags = [...options.nodeFlags, ...mapFlags];
  const argv = callgrindArgs({ outFile, nodeFlags, script, args });
  return { process: await startCommand(target, "valgrind", argv, START_TIMEOUT_MS), outFile };
}

/** Sends `count` requests at the bench's concurrency; resolves with how many failed. */
async function send(
  url: string,
  pool: Pool,
  flavour: Flavour,
  payload: InstructionPayload,
  count: number,
  options: InstructionOptions,
): Promise<{ ok: number; errors: number }> {
  const result = await runLoad({
    url,
    request: protocolRequest(flavour, payload === "stream"),
    mode: { kind: "closed", concurrency: options.concurrency },
    dispatcher: pool,
    requests: count,
    durationMs: 24 * 3600_000,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  return { ok: result.ok, errors: result.errors.total };
}

// All code objects, RegExp code and stubs too: with functions only, their addresses would be named
// after whatever function last held them.
const PERF_MAP_FLAG = "--perf-basic-prof";
/** Where V8 writes the perf map of `--perf-basic-prof` (a fixed path). */
const perfMapPath = (pid: number) => `/tmp/perf-${pid}.map`;

/**
 * The median round's listing, JIT code named: the gateway's top functions (inclusive and self), and
 * for every target its self instructions per request by part (instructions-breakdown.ts).
 */
async function annotatePhase(
  target: InstructionTarget,
  dump: string,
  pid: number,
  options: InstructionOptions,
): Promise<Pick<InstructionPhase, "top" | "parts">> {
  const entries = parsePerfMap(await readFile(perfMapPath(pid), "utf8").catch(() => ""));
  const named = async (inclusive: boolean) =>
    (await annotate(dump, inclusive)).map((entry) => ({ ...entry, name: symbolize(entry.name, entries) }));
  const self = await named(false);
  const perRequest = (instructions: number) => instructions / options.requests;
  const parts = Object.fromEntries([...breakdown(self)].map(([part, sum]) => [part, perRequest(sum)]));
  if (target !== "gateway") return { parts };
  const top = (list: AnnotatedFunction[]) =>
    list
      .slice(0, options.annotate)
      .map((entry) => ({ ...entry, instructions: perRequest(entry.instructions) }));
  return { parts, top: { inclusive: top(await named(true)), self: top(self) } };
}

async function countPhase(
  target: InstructionTarget,
  flavour: Flavour,
  payload: InstructionPayload,
  context: { url: string; pid: number; control: CallgrindControl; options: InstructionOptions },
): Promise<InstructionPhase> {
  const { url, pid, control, options } = context;
  const pool = new Pool(url, { connections: options.concurrency, pipelining: 1 });
  try {
    const label = `${target} ${flavour} ${payload}`;
    process.stderr.write(`  ${label}: ${options.warmup} warm-up requests …\n`);
    if (options.warmup > 0) await send(url, pool, flavour, payload, options.warmup, options);
    const rounds: number[] = [];
    let errors = 0;
    const dumps: string[] = [];
    for (let round = 0; round < options.rounds; round++) {
      await control.zero();
      const sent = await send(url, pool, flavour, payload, options.requests, options);
      const dump = await control.dump();
      errors += sent.errors;
      dumps.push(dump.file);
      rounds.push(dump.instructions / Math.max(1, sent.ok + sent.errors));
      process.stderr.write(
        `    round ${round + 1}: ${Math.round(rounds.at(-1)!).toLocaleString("en-US")} instr/req\n`,
      );
    }
    const medianRound = rounds.indexOf([...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!);
    const annotated =
      options.annotate > 0 ? await annotatePhase(target, dumps[medianRound]!, pid, options) : {};
    const kept = options.keep ? { dumps } : {};
    return { target, protocol: flavour, payload, rounds, errors, ...kept, ...annotated };
  } finally {
    await pool.destroy();
  }
}

/**
 * One request of each protocol and payload before counting, as bench:overhead's probe does, but
 * with a minute per request: the first requests under valgrind compile everything they touch.
 * Chat must answer (else this throws); another protocol that fails is returned with why.
 */
async function probeSlowly(
  url: string,
  flavours: readonly Flavour[],
): Promise<Partial<Record<Flavour, string>>> {
  const failures: Partial<Record<Flavour, string>> = {};
  for (const flavour of flavours)
    for (const stream of [false, true]) {
      const spec = protocolRequest(flavour, stream);
      const response = await request(new URL(spec.path, url), {
        method: "POST",
        headers: spec.headers,
        body: spec.body,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      const text = await response.body.text();
      const problem =
        response.statusCode === 200
          ? probeProblem(flavour, stream, text)
          : `HTTP ${response.statusCode} ${text.slice(0, 300)}`;
      if (problem === undefined) continue;
      const why = `probe (${flavour}, stream=${stream}): ${problem}`;
      if (flavour === "chat") throw new Error(why);
      failures[flavour] = why;
      break;
    }
  return failures;
}

async function countTarget(
  target: InstructionTarget,
  mockUrl: string,
  options: InstructionOptions,
  tempDir: string,
): Promise<InstructionPhase[]> {
  process.stderr.write(`${target}: starting under callgrind …\n`);
  const { process: child, outFile } = await startTarget(target, mockUrl, options, tempDir);
  try {
    const control = new CallgrindControl(child.pid, outFile);
    const flavours = target === "gateway" ? options.flavours : (["chat"] as const);
    const failed = await probeSlowly(child.url, flavours);
    for (const [flavour, why] of Object.entries(failed))
      process.stderr.write(`  ${flavour} left out: ${why}\n`);
    await control.instrument(true);
    const phases: InstructionPhase[] = [];
    for (const payload of options.payloads)
      for (const flavour of flavours.filter((name) => failed[name] === undefined))
        phases.push(
          await countPhase(target, flavour, payload, { url: child.url, pid: child.pid, control, options }),
        );
    return phases;
  } finally {
    await child.stop();
    if (options.annotate > 0) {
      // Kept beside the dumps, it names their JIT code for callgrind_annotate's readers too.
      if (options.keep)
        await copyFile(perfMapPath(child.pid), join(options.keep, `perf-${target}.map`)).catch(() => {});
      await rm(perfMapPath(child.pid), { force: true });
    }
  }
}

function renderTop(phases: readonly InstructionPhase[]): string[] {
  const list = (entries: readonly AnnotatedFunction[]) =>
    entries.map(
      (entry) => `  ${Math.round(entry.instructions).toLocaleString("en-US").padStart(9)}  ${entry.name}`,
    );
  const columns = phases
    .filter((phase) => phase.parts)
    .map((phase) => ({
      label: `${phase.target} ${phase.protocol === "chat" ? "" : `${phase.protocol} `}${phase.payload}`,
      perRequest: new Map(Object.entries(phase.parts!)),
    }));
  return [
    ...(columns.length > 0 ? ["", renderBreakdown(columns)] : []),
    ...phases
      .filter((phase) => phase.top)
      .flatMap((phase) => {
        const label = `${phase.target} ${phase.protocol} ${phase.payload}`;
        return [
          "",
          `${label}: top functions, inclusive (with their callees), instructions per request`,
          ...list(phase.top!.inclusive),
          "",
          `${label}: top functions by their own instructions, per request`,
          ...list(phase.top!.self),
        ];
      }),
  ];
}

function renderReport(phases: readonly InstructionPhase[], options: InstructionOptions): string[] {
  const ratios = options.payloads.map((payload) => {
    const ratio = proxyRatio(phases, payload);
    return `${payload} ${ratio === undefined ? "-" : ratio.toFixed(2)}`;
  });
  return [
    "",
    `Switchyard instructions per request (valgrind callgrind) — ${new Date().toISOString()}`,
    `node ${process.version}${options.nodeFlags.length > 0 ? ` ${options.nodeFlags.join(" ")}` : ""}; ` +
      `${options.warmup} warm-up requests, then ${options.rounds} × ${options.requests} counted, ` +
      `${options.concurrency} connections, per target, protocol and payload`,
    "",
    renderInstructionTable(phases),
    "",
    `proxy ÷ gateway (chat): ${ratios.join(", ")} — the throughput ratio of a CPU-bound gateway`,
    ...renderTop(phases),
    "",
    "Notes: user-space instructions of the target process, every thread, garbage collection included;",
    "Turbofan's background compilation is not counted, the kernel's work (socket writes) cannot be.",
  ];
}

async function main(): Promise<void> {
  const options = parseInstructionOptions(process.argv.slice(2));
  const missing = callgrindMissing();
  if (missing) throw new StartError(missing);
  const tempDir = await mkdtemp(join(tmpdir(), "switchyard-instructions-"));
  if (options.keep) await mkdir(options.keep, { recursive: true });
  const phases: InstructionPhase[] = [];
  try {
    const { mock } = await startMock(["chat"]);
    for (const target of options.only)
      phases.push(...(await countTarget(target, mock.url, options, tempDir)));
  } finally {
    await stopAll();
    await rm(tempDir, { recursive: true, force: true });
  }
  console.log(renderReport(phases, options).join("\n"));
  if (options.json) {
    const document = { options, phases, node: process.version, date: new Date().toISOString() };
    await writeFile(options.json, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`\nJSON written to ${options.json}`);
  }
  if (phases.some((phase) => phase.errors > 0)) process.exitCode = 1;
}

const fail = (error: unknown) => {
  const text =
    error instanceof StartError ? error.message : error instanceof Error ? error.stack : String(error);
  console.error(`bench:instructions: ${text}`);
  void stopAll().finally(() => process.exit(1));
};
process.on("uncaughtException", fail);
// A target under valgrind outlives a killed parent: stop it on the usual signals too.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
process.on("unhandledRejection", fail);

await main().catch(fail);
