/**
 * A private `redis-server` for benchmarks: its own process on a free loopback port, no persistence
 * (`--save "" --appendonly no`), never one that was already running. The soak kills it and starts
 * it again on the same port, as an outage that loses every key.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { adoptChild } from "./processes.js";

const BINARY = "redis-server";

/** Whether `redis-server` can be run from PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
}

export class BenchRedis {
  readonly port: number;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one on a free port; resolves once it answers PING. */
  static async start(): Promise<BenchRedis> {
    const redis = new BenchRedis(await freePort());
    await redis.#start();
    return redis;
  }

  /** The running server's process id; undefined while it is stopped. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops it (SIGKILL or SIGTERM) and waits for the process to be gone. */
  async stop(signal: "SIGKILL" | "SIGTERM" = "SIGTERM"): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port, retrying briefly should the port still be held. */
  async restart(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await this.#start();
        return;
      } catch (error) {
        lastError = error;
        await sleep(300);
      }
    }
    throw lastError;
  }

  async #start(timeoutMs = 5_000): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const child = spawn(BINARY, [...args, "--daemonize", "no"], { stdio: "ignore" });
    adoptChild(child);
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    child.once("error", () => {
      exited = true;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exited) {
      if (await pingRedis(this.port, 200)) {
        this.#child = child;
        return;
      }
      await sleep(20);
    }
    child.kill("SIGKILL");
    throw new Error(`redis-server on port ${this.port} did not answer PING`);
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
