/**
 * A server binary run as a child on a loopback port, for tests and benchmarks (`postgres`,
 * `redis-server`): the tail of its output kept for the error that says why it did not come up,
 * polled until it answers, stopped (or frozen) and started again on the same port with whatever
 * data it keeps. postgres-server.ts and redis-server.ts say what to run and how to ask it.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface LocalServerSpec {
  /** The binary's name, for messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Runs the child as this user (Postgres refuses root); undefined stays as we are. */
  readonly user?: { uid: number; gid: number } | undefined;
  /** Resolves true once the server takes requests; never rejects. */
  answers(): Promise<boolean>;
  /** What answering means, for the error when it does not: "answer PING". */
  readonly readiness: string;
  /** The pause between two polls while it starts. */
  readonly pollMs: number;
  /** Told of every child started (a benchmark tracks its children to stop them at exit). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** Output kept per start: enough for the lines that say why a server failed. */
const LOG_TAIL = 4_000;

export class LocalServer {
  readonly port: number;
  readonly #spec: LocalServerSpec;
  #child: ChildProcess | undefined;
  #log = "";

  constructor(port: number, spec: LocalServerSpec) {
    this.port = port;
    this.#spec = spec;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The running server's process id; undefined while it is stopped. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The last lines it printed since its latest start. */
  get log(): string {
    return this.#log;
  }

  /** Starts the server (again) on its port and waits until it answers; killed and an error if it does not in time. */
  async start(timeoutMs: number): Promise<void> {
    const spec = this.#spec;
    if (this.#child) throw new Error(`${spec.name} on ${this.port} is already running`);
    const child = spawn(spec.command, spec.args, { stdio: ["ignore", "pipe", "pipe"], ...(spec.user ?? {}) });
    spec.onSpawn?.(child);
    this.#child = child;
    this.#log = "";
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-LOG_TAIL);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let exited = false;
    const gone = () => {
      exited = true;
      if (this.#child === child) this.#child = undefined;
    };
    child.once("exit", gone);
    // A binary that cannot be spawned reports here; unheard, it would end the process.
    child.once("error", (error) => {
      keep(Buffer.from(String(error)));
      gone();
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exited) {
      if (await spec.answers()) return;
      await sleep(spec.pollMs);
    }
    if (!exited) {
      const stopped = once(child, "exit");
      child.kill("SIGKILL");
      await stopped;
    }
    throw new Error(`${spec.name} on ${this.port} did not ${spec.readiness}:\n${this.#log}`);
  }

  /**
   * Sends `signal` (a frozen server is woken first so it can act on it), SIGKILL after `graceMs`,
   * and waits for the process to exit.
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGCONT");
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** SIGSTOP: connections stay open but nothing is answered, as with a hung server. */
  freeze(): void {
    this.#child?.kill("SIGSTOP");
  }

  thaw(): void {
    this.#child?.kill("SIGCONT");
  }
}

/** A port nobody listens on right now: bind port 0, read it, let it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}
