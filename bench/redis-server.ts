/**
 * A private `redis-server` for benchmarks: its own process on a free loopback port, no persistence
 * (`--save "" --appendonly no`), never one that was already running. The soak kills it and starts
 * it again on the same port, as an outage that loses every key.
 * @module
 */
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, LocalServer, type LocalServerSpec } from "./local-server.js";
import { adoptChild } from "./processes.js";

export { freePort };

const BINARY = "redis-server";
const START_TIMEOUT_MS = 5_000;

/** Whether `redis-server` can be run from PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
}

/** How to run `redis-server` on `port`; `extraArgs` after the defaults (persistence, say). */
export function redisServerSpec(
  port: number,
  extraArgs: readonly string[] = ["--appendonly", "no"],
  onSpawn?: LocalServerSpec["onSpawn"],
): LocalServerSpec {
  return {
    name: BINARY,
    command: BINARY,
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...extraArgs, "--daemonize", "no"],
    answers: () => pingRedis(port, 200),
    readiness: "answer PING",
    pollMs: 20,
    onSpawn,
  };
}

export class BenchRedis {
  readonly #server: LocalServer;

  private constructor(port: number) {
    this.#server = new LocalServer(port, redisServerSpec(port, undefined, adoptChild));
  }

  /** Starts one on a free port; resolves once it answers PING. */
  static async start(): Promise<BenchRedis> {
    const redis = new BenchRedis(await freePort());
    await redis.#server.start(START_TIMEOUT_MS);
    return redis;
  }

  get port(): number {
    return this.#server.port;
  }

  /** The running server's process id; undefined while it is stopped. */
  get pid(): number | undefined {
    return this.#server.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops it (SIGKILL or SIGTERM) and waits for the process to be gone. */
  stop(signal: "SIGKILL" | "SIGTERM" = "SIGTERM"): Promise<void> {
    return this.#server.stop(signal, 3_000);
  }

  /** Starts it again on the same port, retrying briefly should the port still be held. */
  async restart(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await this.#server.start(START_TIMEOUT_MS);
        return;
      } catch (error) {
        lastError = error;
        await sleep(300);
      }
    }
    throw lastError;
  }
}

/** Resolves true when a PING on `port` is answered with PONG within `timeoutMs`. */
export function pingRedis(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const finish = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => finish(data.toString().startsWith("+PONG")));
  });
}
