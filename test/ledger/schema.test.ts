/**
 * The three descriptions of the ledger's table agree: the migrations' SQL (what the database
 * has), the drizzle schema (what queries read) and the insert's columns (what the writer writes),
 * names and indexes alike.
 */
import { getTableColumns, sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LedgerDatabase, openLedgerDatabase } from "../../src/ledger/database.js";
import { INSERT_COLUMNS } from "../../src/ledger/insert.js";
import { migrate } from "../../src/ledger/migrate.js";
import { ledgerRequests } from "../../src/ledger/schema.js";

describe("the ledger's schema", () => {
  let database: LedgerDatabase;

  beforeAll(async () => {
    database = await openLedgerDatabase({});
    await migrate(database.db);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
  });

  it("has the same columns in the migrations, the drizzle table and the insert", async () => {
    const result = await database.db.execute<{ column_name: string; is_nullable: string }>(
      sql.raw(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'ledger_requests' ORDER BY ordinal_position",
      ),
    );
    const migrated = result.rows.map((row) => row.column_name);
    const drizzle = Object.values(getTableColumns(ledgerRequests));
    expect(drizzle.map((column) => column.name)).toEqual(migrated);
    expect(INSERT_COLUMNS).toEqual(migrated);
    const nullable = new Map(result.rows.map((row) => [row.column_name, row.is_nullable === "YES"]));
    for (const column of drizzle) expect(!column.notNull, column.name).toBe(nullable.get(column.name));
  });

  it("has the same indexes in the migrations and the drizzle table", async () => {
    const result = await database.db.execute<{ indexname: string }>(
      sql.raw(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_requests' AND indexname <> 'ledger_requests_pkey'",
      ),
    );
    const migrated = result.rows.map((row) => row.indexname).sort();
    const declared = getTableConfig(ledgerRequests)
      .indexes.map((index) => index.config.name!)
      .sort();
    expect(declared).toEqual(migrated);
  });
});
