/**
 * The ledger's database: a Postgres server when `database_url` is set (what replicas share), or
 * PGlite, Postgres compiled to WebAssembly and run in-process, kept in `ledger_dir`. Both speak the
 * same SQL and are reached through the same drizzle query layer; each driver is loaded only when
 * chosen, so a gateway without a ledger never loads either.
 * @module
 */
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

/** What both drivers' results share: the rows. */
export interface RowsResultHKT extends PgQueryResultHKT {
  type: RowsOf<this["row"]>;
}

interface RowsOf<Row> {
  rows: Row[];
}

export type LedgerDb = PgDatabase<RowsResultHKT>;

export interface LedgerDatabase {
  readonly db: LedgerDb;
  readonly kind: "embedded" | "server";
  close(): Promise<void>;
}

export interface LedgerDatabaseOptions {
  /** A `postgres://` URL; when set, the embedded database is not used. */
  url?: string | undefined;
  /** PGlite's data directory; undefined or `memory://` keeps it in memory. */
  dir?: string | undefined;
  /** A server connection's trouble (it dropped, the server went away): logged, never thrown. */
  onError?: (error: Error) => void;
}

/** How long a write may wait for a server connection before the batch counts as failed and waits to retry. */
const CONNECT_TIMEOUT_MS = 2_000;
const STATEMENT_TIMEOUT_MS = 10_000;

export async function openLedgerDatabase(options: LedgerDatabaseOptions): Promise<LedgerDatabase> {
  return options.url ? openServer(options.url, options.onError) : openEmbedded(options.dir);
}

async function openServer(url: string, onError?: (error: Error) => void): Promise<LedgerDatabase> {
  const { default: pg } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS,
  });
  // An idle connection the server dropped is reported here; unhandled, it would end the process.
  pool.on("error", (error) => onError?.(error));
  return {
    db: drizzle(pool) as unknown as LedgerDb,
    kind: "server",
    close: () => pool.end(),
  };
}

async function openEmbedded(dir: string | undefined): Promise<LedgerDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  if (dir && !dir.startsWith("memory://")) {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir, { recursive: true });
  }
  const client = await PGlite.create(dir, {
    // Postgres's default of 128 MB of shared buffers is resident in the WebAssembly memory for
    // the gateway's lifetime; the ledger appends batches and its files stay in the kernel's page
    // cache, so a small pool costs its writes nothing measurable and saves ~110 MB.
    startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"],
  });
  return {
    db: drizzle(client) as unknown as LedgerDb,
    kind: "embedded",
    close: () => client.close(),
  };
}
