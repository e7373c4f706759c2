/**
 * A real Postgres server for tests and for `bench:overhead --ledger postgres`: `initdb` into a temp directory, `postgres` on a free port
 * (loopback only, its socket in the same directory), removed on `destroy`. Postgres refuses to run
 * as root, so under root both run as the `postgres` system user, which owns the directory. It can
 * be stopped and started again on the same port with its data: a database outage.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, LocalServer } from "./local-server.js";

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
  readonly #root: string;
  readonly #server: LocalServer;

  private constructor(
    root: string,
    port: number,
    bin: string,
    user: { uid: number; gid: number } | undefined,
  ) {
    this.#root = root;
    const url = urlOf(port);
    this.#server = new LocalServer(port, {
      name: "postgres",
      command: join(bin, "postgres"),
      args: [
        "-D",
        join(root, "data"),
        "-p",
        String(port),
        "-k",
        join(root, "socket"),
        "-c",
        "listen_addresses=127.0.0.1",
        // A test database: no durability work, so a start and each commit cost little.
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
      ],
      user,
      answers: () => takesQuery(url),
      readiness: "take a query",
      pollMs: 50,
    });
  }

  get port(): number {
    return this.#server.port;
  }

  get url(): string {
    return urlOf(this.port);
  }

  get running(): boolean {
    return this.#server.running;
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
  start(timeoutMs = 15_000): Promise<void> {
    return this.#server.start(timeoutMs);
  }

  /** A fast shutdown (SIGINT): sessions are cut, the data stays; waits for the process to exit. */
  stop(): Promise<void> {
    return this.#server.stop("SIGINT", 5_000);
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.#root, { recursive: true, force: true });
  }
}

function urlOf(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

async function takesQuery(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 500 });
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
