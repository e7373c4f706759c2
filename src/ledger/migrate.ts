/**
 * Brings a ledger database up to the newest migration. Replicas sharing one Postgres may start
 * together: a transaction-scoped advisory lock lets one migrate while the others wait, then find
 * the work done.
 * @module
 */
import { sql } from "drizzle-orm";
import type { LedgerDb } from "./database.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

/** Any fixed number: the lock's name among the database's advisory locks. */
const MIGRATION_LOCK = 7_302_118_041;

/** Applies the migrations `db` lacks, each recorded in the same transaction; returns their versions. */
export async function migrate(
  db: LedgerDb,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.execute(
      sql.raw(
        "CREATE TABLE IF NOT EXISTS ledger_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      ),
    );
    const done = await tx.execute<{ version: number }>(sql.raw("SELECT version FROM ledger_migrations"));
    const applied = new Set(done.rows.map((row) => Number(row.version)));
    const added: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      // One statement per call: PGlite's extended protocol takes no more.
      for (const statement of statementsOf(migration.sql)) await tx.execute(sql.raw(statement));
      await tx.execute(
        sql`INSERT INTO ledger_migrations (version, name) VALUES (${migration.version}, ${migration.name})`,
      );
      added.push(migration.version);
    }
    return added;
  });
}

function statementsOf(text: string): string[] {
  return text
    .split(/;\s*\n/)
    .map((statement) => statement.trim().replace(/;$/, ""))
    .filter((statement) => statement.length > 0);
}
