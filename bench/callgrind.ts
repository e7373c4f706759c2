/**
 * Counting a process's instructions with valgrind's callgrind: the command line that starts a Node
 * script under it, the control of a running one (instrumentation on, zero, dump) through
 * `callgrind_control`, and the parsing of its dumps and of `callgrind_annotate`'s listing.
 *
 * Instruction counts do not move with the host's load, so they judge a few per cent where timings
 * on a shared machine cannot (docs/performance.md). What JIT compilation costs is not per-request
 * work: V8's optimising compiler runs on background threads, and collection is switched off inside
 * its task (`--toggle-collect`), so the count is the requests' own work, garbage collection included.
 * @module
 */
import { execFile, spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Functions whose instructions are not counted (`--toggle-collect`): the background task that runs
 * Turbofan. Its work depends on when a function becomes hot, which under valgrind's ~50× slowdown
 * is thousands of requests in; it is start-up cost, not a request's.
 */
export const UNCOUNTED_FUNCTIONS = ["v8::internal::OptimizingCompileDispatcher::CompileTask::RunInternal()"];

/** Whether `valgrind` and `callgrind_control` can be run; the reason when not. */
export function callgrindMissing(valgrind = "valgrind"): string | undefined {
  for (const [command, args] of [
    [valgrind, ["--version"]],
    ["callgrind_control", ["--version"]],
  ] as const) {
    const result = spawnSync(command, args, { stdio: "ignore" });
    if (result.error || result.status !== 0)
      return (
        `\`${command}\` is not installed or does not run (Debian/Ubuntu: apt-get install -y valgrind); ` +
        "the instruction count needs valgrind's callgrind"
      );
  }
  return undefined;
}

export interface CallgrindLaunch {
  /** Where dumps go: each `callgrind_control --dump` writes `<outFile>.<n>`, n = 1, 2, … */
  outFile: string;
  /** Flags for node itself (V8 flags), before the script. */
  nodeFlags: readonly string[];
  script: string;
  args: readonly string[];
}

/**
 * valgrind's arguments for `node <nodeFlags> <script> <args>`. Instrumentation starts off, so
 * start-up runs ~4× faster; it is switched on once the target is ready. V8 writes its machine code
 * into anonymous memory, which valgrind's default `--smc-check=all-non-file` already re-checks.
 */
export function callgrindArgs(launch: CallgrindLaunch, nodePath = process.execPath): string[] {
  return [
    "--tool=callgrind",
    `--callgrind-out-file=${launch.outFile}`,
    "--instr-atstart=no",
    ...UNCOUNTED_FUNCTIONS.map((name) => `--toggle-collect=${name}`),
    // After the toggles, which switch collection off at start unless told otherwise.
    "--collect-atstart=yes",
    nodePath,
    ...launch.nodeFlags,
    launch.script,
    ...launch.args,
  ];
}

/** The totals of one callgrind dump: its event names and the count of each. */
export interface CallgrindTotals {
  events: string[];
  counts: number[];
}

/**
 * The totals of a callgrind output file: its `events:` line and its `summary:` line (else
 * `totals:`, which older writers put at the end). Undefined when either is missing (a dump still
 * being written).
 */
export function parseCallgrindTotals(text: string): CallgrindTotals | undefined {
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(text)?.[1]?.trim();
  const events = field("events")?.split(/\s+/);
  const line = field("summary") ?? field("totals");
  if (!events || line === undefined) return undefined;
  const counts = line.split(/\s+/).map(Number);
  if (counts.length === 0 || counts.some((count) => !Number.isFinite(count))) return undefined;
  return { events, counts };
}

/** Instructions executed (`Ir`) in a dump; undefined when the file has no totals. */
export function instructionsOf(text: string): number | undefined {
  const totals = parseCallgrindTotals(text);
  if (!totals) return undefined;
  const index = totals.events.indexOf("Ir");
  return index < 0 ? undefined : totals.counts[index];
}

/** A process running under callgrind, driven through `callgrind_control` (which reaches it by vgdb). */
export class CallgrindControl {
  #dumps = 0;
  readonly #pid: number;
  readonly #outFile: string;

  constructor(pid: number, outFile: string) {
    this.#pid = pid;
    this.#outFile = outFile;
  }

  async instrument(on: boolean): Promise<void> {
    await this.#command(["--instr", on ? "on" : "off"]);
  }

  /** Counters to zero: what runs from now on is the next dump. */
  async zero(): Promise<void> {
    await this.#command(["--zero"]);
  }

  /** Writes the counters since the last zero or dump; resolves with the file and its instructions. */
  async dump(): Promise<{ file: string; instructions: number }> {
    await this.#command(["--dump"]);
    this.#dumps++;
    const file = `${this.#outFile}.${this.#dumps}`;
    // callgrind_control returns once the command is taken; the file may still be being written.
    for (let attempt = 0; attempt < 100; attempt++) {
      const text = await readFile(file, "utf8").catch(() => "");
      const instructions = instructionsOf(text);
      if (instructions !== undefined) return { file, instructions };
      await sleep(100);
    }
    throw new Error(`callgrind wrote no totals to ${file}`);
  }

  async #command(args: readonly string[]): Promise<void> {
    const { stdout } = await run("callgrind_control", [...args, String(this.#pid)], { timeout: 60_000 });
    if (!/\bOK\b/.test(stdout))
      throw new Error(`callgrind_control ${args.join(" ")} ${this.#pid}: ${stdout.trim()}`);
  }
}

/** One function of `callgrind_annotate --inclusive=yes`: its instructions, inclusive, and its name. */
export interface AnnotatedFunction {
  instructions: number;
  name: string;
}

/**
 * The function lines of `callgrind_annotate`'s listing (`1,234 (5.6%)  file:function [object]`),
 * largest first as it prints them; the program total and the headers are left out.
 */
export function parseAnnotate(text: string): AnnotatedFunction[] {
  const functions: AnnotatedFunction[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+)$/.exec(line);
    if (!match || match[2] === "PROGRAM TOTALS") continue;
    functions.push({ instructions: Number(match[1]!.replaceAll(",", "")), name: match[2]!.trim() });
  }
  return functions;
}

/** `callgrind_annotate` of a dump, parsed: inclusive costs (a function and its callees) or self. */
export async function annotate(file: string, inclusive: boolean): Promise<AnnotatedFunction[]> {
  const args = [`--inclusive=${inclusive ? "yes" : "no"}`, "--threshold=99.9", file];
  const { stdout } = await run("callgrind_annotate", args, {
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAnnotate(stdout);
}
