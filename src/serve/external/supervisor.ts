/**
 * Runs an external engine (vLLM, SGLang, llama-server) as a child: started on a free loopback port,
 * ready once its health route answers 200, its output logged under ours line by line, restarted after a
 * crash (with a growing delay), and stopped with us — SIGTERM to its whole process group (vLLM starts
 * workers), SIGKILL if it lingers, a synchronous kill if this process exits first, and a small reaper
 * process that stops it when this one is killed outright.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type EngineLaunch,
  type EngineSpec,
  type ExternalEngine,
  engineEnvironment,
  engineSpec,
  findExecutable,
} from "./engines.js";

/** The engine is not installed: the message names what to install. */
export class EngineMissingError extends Error {
  override readonly name = "EngineMissingError";
}

export type SupervisorLog = (level: "info" | "warn" | "error", message: string, fields?: object) => void;

export type EngineState = "starting" | "ready" | "restarting" | "stopped";

export interface SupervisorOptions {
  readonly engine: ExternalEngine;
  readonly launch: Omit<EngineLaunch, "port" | "host">;
  readonly log: SupervisorLog;
  /** How long a start may take before it counts as failed (large models load for minutes). */
  readonly readyTimeoutMs?: number;
  /** Delay before each successive restart; the last repeats. */
  readonly restartDelaysMs?: readonly number[];
  readonly healthIntervalMs?: number;
  /** SIGTERM → SIGKILL grace on stop. */
  readonly stopGraceMs?: number;
  /** `PATH` to find the executable on (tests put a stand-in first). */
  readonly path?: string;
}

const HOST = "127.0.0.1";

/**
 * Runs between us and the engine so the engine ends even when we are SIGKILLed: it starts the engine in
 * its own process group with our pipes, exits as the engine exits, and stops the engine when its stdin —
 * a pipe from us — closes, which the kernel does when we die however we die. Inline (`node -e`) so it
 * works the same from sources and from dist/.
 */
const REAPER = `
const { spawn } = require("node:child_process");
const [executable, ...args] = process.argv.slice(1);
const engine = spawn(executable, args, { stdio: ["ignore", "inherit", "inherit"] });
const stop = (signal) => { try { engine.kill(signal); } catch {} };
engine.on("error", (error) => { console.error(error.message); process.exit(127); });
engine.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGKILL" ? 137 : 143)));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stop(signal));
process.stdin.on("data", () => {});
process.stdin.on("end", () => { stop("SIGTERM"); setTimeout(() => stop("SIGKILL"), 10000).unref(); });
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      onLine(pending.slice(0, newline).trimEnd());
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (pending !== "") onLine(pending);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export class EngineSupervisor {
  private readonly spec: EngineSpec;
  private readonly executable: string;
  private child: ChildProcess | undefined;
  private port = 0;
  private stopping = false;
  private readonly killOnExit = () => {
    if (this.child !== undefined) killGroup(this.child, "SIGKILL");
  };
  state: EngineState = "starting";
  /** Restarts after crashes so far. */
  restarts = 0;

  /** Throws {@link EngineMissingError} when the engine's executable is not on PATH. */
  constructor(private readonly options: SupervisorOptions) {
    this.spec = engineSpec(options.engine);
    const executable = findExecutable(this.spec.executable, options.path);
    if (executable === undefined) {
      throw new EngineMissingError(
        `--engine ${options.engine}: \`${this.spec.executable}\` is not on PATH; install ${this.spec.install}`,
      );
    }
    this.executable = executable;
  }

  /** Where the engine answers (changes after a restart). */
  get url(): string {
    return `http://${HOST}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the engine and resolves once it is ready; rejects when it exits or times out first. */
  async start(): Promise<void> {
    process.once("exit", this.killOnExit);
    await this.launch();
  }

  private async launch(): Promise<void> {
    this.port = await freePort();
    const args = this.spec.args({ ...this.options.launch, host: HOST, port: this.port });
    const child = spawn(process.execPath, ["-e", REAPER, this.executable, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      env: engineEnvironment(this.options.launch),
    });
    this.child = child;
    const source = this.options.engine;
    forEachLine(child.stdout!, (line) => this.options.log("info", line, { source }));
    forEachLine(child.stderr!, (line) => this.options.log("info", line, { source }));
    const exited = new Promise<string>((resolve) => {
      child.once("exit", (code, signal) => resolve(`exited (${signal ?? code})`));
      child.once("error", (error) => resolve(`failed to start: ${error.message}`));
    });
    this.options.log("info", `starting ${source}`, { pid: child.pid, port: this.port, args });
    const outcome = await Promise.race([this.waitHealthy(child), exited]);
    if (outcome !== "ready") {
      killGroup(child, "SIGKILL");
      throw new Error(`${source} ${outcome} before it was ready`);
    }
    this.state = "ready";
    this.options.log("info", `${source} is ready`, { url: this.url });
    void exited.then((how) => this.onExit(child, how));
  }

  private async waitHealthy(child: ChildProcess): Promise<string> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 15 * 60_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null || this.stopping) return "stopped";
      const healthy = await fetch(`${this.url}${this.spec.healthPath}`, {
        signal: AbortSignal.timeout(2_000),
      })
        .then((response) => response.status === 200)
        .catch(() => false);
      if (healthy) return "ready";
      await sleep(this.options.healthIntervalMs ?? 500);
    }
    return `was not healthy within ${this.options.readyTimeoutMs ?? 15 * 60_000} ms`;
  }

  private async onExit(child: ChildProcess, how: string): Promise<void> {
    if (this.stopping || child !== this.child) return;
    this.state = "restarting";
    const delays = this.options.restartDelaysMs ?? [1_000, 2_000, 5_000, 10_000, 30_000];
    this.options.log("error", `${this.options.engine} ${how}; restarting`, { restarts: this.restarts + 1 });
    while (!this.stopping) {
      await sleep(delays[Math.min(this.restarts, delays.length - 1)]!);
      this.restarts += 1;
      if (this.stopping) return;
      try {
        await this.launch();
        return;
      } catch (error) {
        this.options.log("error", `restarting ${this.options.engine} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Stops the engine (its whole process group) and keeps it stopped. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.state = "stopped";
    process.off("exit", this.killOnExit);
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    killGroup(child, "SIGTERM");
    const killer = setTimeout(() => killGroup(child, "SIGKILL"), this.options.stopGraceMs ?? 10_000);
    await exited;
    clearTimeout(killer);
  }
}
