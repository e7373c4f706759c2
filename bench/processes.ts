/**
 * Child processes for benchmarks: start a Node script, wait for its READY line, read its memory and
 * CPU from /proc, and stop it. Every child is tracked; `stopAll()` and the exit hook kill whatever is
 * left, so an interrupted or crashed benchmark leaves no orphans.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { parseReadyLine } from "../src/process/ready-line.js";

export interface BenchProcess {
  name: string;
  pid: number;
  /** The URL from the READY line. */
  url: string;
  /** The last few KB of what it printed (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
const OUTPUT_LIMIT = 8 * 1024;

/** Starts `node <script> ...args` and resolves with its URL once it prints a READY line. */
export function startProcess(
  name: string,
  script: string,
  args: readonly string[],
  timeoutMs = 15_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BenchProcess> {
  return startCommand(name, process.execPath, [script, ...args], timeoutMs, env);
}

/**
 * Starts `command ...args` (a Node script under a wrapper such as valgrind, which passes the READY
 * line through) and resolves with its URL once it prints a READY line.
 */
export async function startCommand(
  name: string,
  command: string,
  args: readonly string[],
  timeoutMs = 15_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BenchProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
  running.add(child);
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  exited.then(() => running.delete(child));
  child.stderr!.on("data", append);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: no READY line after ${timeoutMs} ms`)),
        timeoutMs,
      );
      let pending = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        append(chunk);
        pending += chunk.toString("utf8");
        for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
          const ready = parseReadyLine(pending.slice(0, newline).trim());
          pending = pending.slice(newline + 1);
          if (ready) {
            clearTimeout(timer);
            resolve(ready.url);
          }
        }
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name}: exited (${signal ?? `code ${code}`}) before it was ready`));
      });
    });
    // Keep draining stdout so a chatty child never blocks on a full pipe.
    child.stdout!.removeAllListeners("data");
    child.stdout!.on("data", append);
    return { name, pid: child.pid!, url, output: () => output, stop };
  } catch (error) {
    await stop();
    const tail = output.trim().split("\n").slice(-5).join("\n  ");
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(tail ? `${message}\n  ${tail}` : message);
  }
}

/**
 * A `switchyard gateway` on loopback, port 0, quiet (warnings only), reading `configPath`; `extraArgs`
 * are further flags. The benches write the config first, so each one states what it measures.
 */
export function startGatewayProcess(
  name: string,
  cli: string,
  configPath: string,
  extraArgs: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs?: number,
): Promise<BenchProcess> {
  const args = [
    "gateway",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--config",
    configPath,
    "--log-level",
    "warn",
  ];
  return startProcess(name, cli, [...args, ...extraArgs], timeoutMs, env);
}

/** Tracks a child started elsewhere (a redis-server), so `stopAll()` and the exit hook end it too. */
export function adoptChild(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
        }),
    ),
  );
}

/** Last-resort cleanup on exit (synchronous: only a signal can be sent here). */
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Resident and peak memory of a process in MiB, from /proc/<pid>/status (Linux only). */
export function readMemory(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    const rss = kib("VmRSS");
    if (Number.isNaN(rss)) return undefined;
    return { rssMiB: rss / 1024, peakMiB: kib("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used so far in ms, from /proc/<pid>/stat (Linux only). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it (a `--workers` gateway: its primary and the workers it forked). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const siblings = children.get(parent);
    if (siblings) siblings.push(Number(entry));
    else children.set(parent, [Number(entry)]);
  }
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) tree.push(...(children.get(tree[index]!) ?? []));
  return tree;
}

/** CPU time of `pid` and every process below it, in ms; children that exited no longer count. Linux only. */
export function readTreeCpuMs(pid: number): number | undefined {
  const [own, ...below] = processTree(pid).map(readCpuMs);
  return own === undefined ? undefined : below.reduce<number>((sum, ms) => sum + (ms ?? 0), own);
}

/** {@link readMemory} summed over `pid` and every process below it (peaks are summed per process). */
export function readTreeMemory(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  const [own, ...below] = processTree(pid).map(readMemory);
  if (!own) return undefined;
  return below.reduce<{ rssMiB: number; peakMiB: number }>(
    (sum, memory) => ({
      rssMiB: sum.rssMiB + (memory?.rssMiB ?? 0),
      peakMiB: sum.peakMiB + (memory?.peakMiB ?? 0),
    }),
    own,
  );
}

/**
 * CPU time all processes on the host spent in user and kernel mode so far, in ms (from /proc/stat;
 * interrupt and softirq time are left out, as they are in a process's own figures). Linux only.
 */
export function readHostCpuMs(): number | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const [label, user, nice, system] = line.split(/\s+/);
    if (label !== "cpu") return undefined;
    const ticks = Number(user) + Number(nice) + Number(system);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}
