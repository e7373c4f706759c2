/**
 * Starts a switchyard server (mock, gateway, serve) as a child process of this CLI and waits for
 * its READY line. Children are told to exit when our stdin pipe to them closes, so even a parent
 * killed with SIGKILL leaves no orphan behind.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseReadyLine, type ReadyLine } from "./ready-line.js";

const CLI_ENTRY = fileURLToPath(new URL("../cli/index.js", import.meta.url));

/** Set in a child's environment: the child exits when its stdin (a pipe from the parent) closes. */
export const EXIT_WITH_PARENT_ENV = "SWITCHYARD_EXIT_WITH_PARENT";

export interface ChildServer {
  readonly ready: ReadyLine;
  readonly child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  /** Forward the child's output to ours, prefixed with `label`. */
  echo: boolean;
  label: string;
  timeoutMs?: number;
}

export function spawnServer(args: readonly string[], options: SpawnOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, [EXIT_WITH_PARENT_ENV]: "1" },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise<ChildServer>((resolve, reject) => {
    let output = "";
    let ready: ReadyLine | undefined;
    const timer = setTimeout(() => {
      void stop("SIGKILL");
      reject(
        new Error(
          `${options.label} printed no READY line within ${options.timeoutMs ?? 30_000} ms:\n${output}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    const onLine = (line: string, stream: NodeJS.WriteStream) => {
      if (!ready) {
        output += `${line}\n`;
        ready = parseReadyLine(line);
        if (ready) {
          clearTimeout(timer);
          resolve({ ready, child, stop });
          return;
        }
      }
      if (options.echo) stream.write(`[${options.label}] ${line}\n`);
    };
    forEachLine(child.stdout!, (line) => onLine(line, process.stdout));
    forEachLine(child.stderr!, (line) => onLine(line, process.stderr));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!ready)
        reject(new Error(`${options.label} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  });
}

/** In a child started by spawnServer: exit gracefully (SIGTERM to self) when the parent goes away. */
export function exitWithParent(): void {
  if (process.env[EXIT_WITH_PARENT_ENV] !== "1") return;
  process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
  process.stdin.on("error", () => process.kill(process.pid, "SIGTERM"));
  process.stdin.resume();
  // Watching the pipe must not keep an otherwise finished process alive.
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
