/**
 * A real `redis-server` for tests: its own process on a free port, no persistence unless asked
 * for, never one that was already running. It can be stopped (or killed) and started again on the same port (an
 * outage and a restart that lost the data) or frozen with SIGSTOP (a server that stops answering).
 */
import { spawnSync } from "node:child_process";
import { LocalServer } from "../../bench/local-server.js";
import { freePort, redisServerSpec } from "../../bench/redis-server.js";

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
  readonly #server: LocalServer;

  constructor(port: number, options: RedisServerOptions = {}) {
    const { dataDir } = options;
    const persistence = dataDir
      ? ["--dir", dataDir, "--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"];
    this.#server = new LocalServer(port, redisServerSpec(port, persistence));
  }

  get port(): number {
    return this.#server.port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#server.running;
  }

  /** Starts the server (again) on its port and waits until it answers PING. */
  start(timeoutMs = 5_000): Promise<void> {
    return this.#server.start(timeoutMs);
  }

  /** Stops the server (SIGTERM) and waits for the process to exit; its data is gone unless persisted. */
  stop(): Promise<void> {
    return this.#server.stop("SIGTERM", 2_000);
  }

  /** SIGKILL, as `kill -9`: no shutdown, connections cut; waits for the process to exit. */
  kill(): Promise<void> {
    return this.#server.stop("SIGKILL", 0);
  }

  /** Stop, then start on the same port: a restart that lost every key. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** SIGSTOP: connections stay open but nothing is answered, as with a hung server. */
  freeze(): void {
    this.#server.freeze();
  }

  thaw(): void {
    this.#server.thaw();
  }
}

/** Starts a server on `port`, or on a free one. */
export async function startRedisServer(port?: number, options?: RedisServerOptions): Promise<RedisServer> {
  const server = new RedisServer(port ?? (await freePort()), options);
  await server.start();
  return server;
}
