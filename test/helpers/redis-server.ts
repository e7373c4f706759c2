/**
 * A real `redis-server` for tests: its own process on a free port, no persistence unless asked
 * for, never one that was already running. It can be stopped (or killed) and started again on the same port (an
 * outage and a restart that lost the data) or frozen with SIGSTOP (a server that stops answering).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, pingRedis } from "../../bench/redis-server.js";

const BINARY = "redis-server";

/**
 * Whether Redis tests can run here. Without the binary: false, with a warning, so a local run
 * skips them; under CI (the `CI` variable set) it throws instead, so CI never passes by skipping.
 */
export function redisServerAvailable(): boolean {
  const found = spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
  if (found) return true;
  const message = `${BINARY} not found on PATH (Debian/Ubuntu: apt-get install -y redis-server)`;
  const ci = process.env.CI;
  if (ci && ci !== "false" && ci !== "0") throw new Error(`${message}; Redis tests must run under CI`);
  console.warn(`${message}: skipping the Redis tests`);
  return false;
}

export { freePort };

export interface RedisServerOptions {
  /**
   * Keep the data here in an append-only file written at every change, so a restart (SIGTERM, or
   * even SIGKILL) comes back with the keys as they were: the persisted case, stale leases included.
   */
  dataDir?: string;
}

export class RedisServer {
  readonly port: number;
  readonly #options: RedisServerOptions;
  #process: ChildProcess | undefined;
  #log = "";

  constructor(port: number, options: RedisServerOptions = {}) {
    this.port = port;
    this.#options = options;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** Starts the server (again) on its port and waits until it answers PING. */
  async start(timeoutMs = 5_000): Promise<void> {
    if (this.#process) throw new Error(`redis-server on ${this.port} is already running`);
    const { dataDir } = this.#options;
    const persistence = dataDir
      ? ["--dir", dataDir, "--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"];
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", ...persistence];
    const child = spawn(BINARY, [...args, "--daemonize", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    this.#process = child;
    this.#log = "";
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let exited = false;
    child.once("exit", () => {
      exited = true;
      if (this.#process === child) this.#process = undefined;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exited) {
      if (await pingRedis(this.port, 200)) return;
      await sleep(20);
    }
    child.kill("SIGKILL");
    throw new Error(`redis-server on ${this.port} did not answer PING:\n${this.#log}`);
  }

  /** Stops the server (SIGTERM) and waits for the process to exit; its data is gone unless persisted. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    const exited = once(child, "exit");
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL, as `kill -9`: no shutdown, connections cut; waits for the process to exit. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  /** Stop, then start on the same port: a restart that lost every key. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** SIGSTOP: connections stay open but nothing is answered, as with a hung server. */
  freeze(): void {
    this.#process?.kill("SIGSTOP");
  }

  thaw(): void {
    this.#process?.kill("SIGCONT");
  }
}

/** Starts a server on `port`, or on a free one. */
export async function startRedisServer(port?: number, options?: RedisServerOptions): Promise<RedisServer> {
  const server = new RedisServer(port ?? (await freePort()), options);
  await server.start();
  return server;
}
