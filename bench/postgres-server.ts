/**
 * A real Postgres server for tests and for `bench:overhead --ledger postgres`: `initdb` into a temp directory, `postgres` on a free port
 * (loopback only, its socket in the same directory), removed on `destroy`. Postgres refuses to run
 * as root, so under root both run as the `postgres` system user, which owns the directory. It can
 * be stopped and started again on the same port with its data: a database outage.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { freePort } from "./redis-server.js";

const PACKAGE_HINT = "Debian/Ubuntu: apt-get install -y postgresql";

/** The folder holding `initdb` and `postgres`: on PATH, else Debian's newest /usr/lib/postgresql/<ver>/bin. */
export function postgresBinDir(): string | undefined {
  const onPath = spawnSync("sh", ["-c", "command -v postgres"], { encoding: "utf8" });
  const found = onPath.status === 0 ? onPath.stdout.trim() : "";
  if (found && existsSync(join(found, "..", "initdb"))) return join(found, "..");
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

/**
 * Whether Postgres tests can run here. Without the binaries: false, with a warning, so a local run
 * skips them; under CI (the `CI` variable set) it throws instead, so CI never passes by skipping.
 */
export function postgresServerAvailable(): boolean {
  if (postgresBinDir() !== undefined) return true;
  const message = `postgres not found on PATH or under /usr/lib/postgresql (${PACKAGE_HINT})`;
  const ci = process.env.CI;
  if (ci && ci !== "false" && ci !== "0") throw new Error(`${message}; Postgres tests must run under CI`);
  console.warn(`${message}: skipping the Postgres tests`);
  return false;
}

/** Postgres will not run as root: the uid and gid to run it as, or undefined to stay as we are. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0) {
    throw new Error(`running as root and there is no 'postgres' user to run Postgres as (${PACKAGE_HINT})`);
  }
  return { uid, gid };
}

export class PostgresServer {
  readonly port: number;
  readonly #root: string;
  readonly #bin: string;
  readonly #user: { uid: number; gid: number } | undefined;
  #process: ChildProcess | undefined;
  #log = "";

  private constructor(
    root: string,
    port: number,
    bin: string,
    user: { uid: number; gid: number } | undefined,
  ) {
    this.#root = root;
    this.port = port;
    this.#bin = bin;
    this.#user = user;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** A fresh cluster in a temp directory, started on a free port. */
  static async create(startTimeoutMs?: number): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error(`postgres not found (${PACKAGE_HINT})`);
    const user = runAs();
    const root = await mkdtemp(join(tmpdir(), "switchyard-pg-"));
    await mkdir(join(root, "socket"));
    if (user) {
      await chown(root, user.uid, user.gid);
      await chown(join(root, "socket"), user.uid, user.gid);
    }
    const init = spawnSync(
      join(bin, "initdb"),
      ["-D", join(root, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      { encoding: "utf8", ...(user ?? {}) },
    );
    if (init.status !== 0) {
      await rm(root, { recursive: true, force: true });
      throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);
    }
    const server = new PostgresServer(root, await freePort(), bin, user);
    try {
      await server.start(startTimeoutMs);
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
    return server;
  }

  /** Starts the server (again) on its port, with its data, and waits until it takes a query. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.#process) throw new Error(`postgres on ${this.port} is already running`);
    const args = [
      "-D",
      join(this.#root, "data"),
      "-p",
      String(this.port),
      "-k",
      join(this.#root, "socket"),
      "-c",
      "listen_addresses=127.0.0.1",
      // A test database: no durability work, so a start and each commit cost little.
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ];
    const child = spawn(join(this.#bin, "postgres"), args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(this.#user ?? {}),
    });
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
      if (await this.#answers()) return;
      await sleep(50);
    }
    child.kill("SIGKILL");
    throw new Error(`postgres on ${this.port} did not take a query:\n${this.#log}`);
  }

  /** A fast shutdown (SIGINT): sessions are cut, the data stays; waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    const exited = once(child, "exit");
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.#root, { recursive: true, force: true });
  }

  async #answers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 500 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }
}
