/**
 * The writer's sink over a ledger database: one INSERT per batch, its rows passed as one array per
 * column and spread by `unnest`. Twenty-three parameters whatever the batch size: drizzle's
 * multi-row VALUES builder and the database's parse of thousands of placeholders cost far more
 * (the embedded database runs on the gateway's thread, so that cost lands between requests). Rows
 * already present (a batch retried after its commit was lost in transit) are passed over, not
 * doubled. A batch travels as its columns (`columnsOf`): plain arrays, which is also what the
 * embedded database's worker thread is sent, cheaper to clone than as many objects as rows.
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { LedgerDb } from "./database.js";
import type { LedgerRow } from "./row.js";
import type { LedgerSink } from "./writer.js";

/** Each column of `ledger_requests` (migrations.ts), its array type, and where a row keeps it. */
const COLUMNS: readonly (readonly [string, string, (row: LedgerRow) => unknown])[] = [
  ["id", "uuid", (row) => row.id],
  ["request_id", "text", (row) => row.requestId],
  ["time", "timestamptz", (row) => row.time],
  ["key_name", "text", (row) => row.keyName],
  ["key_id", "text", (row) => row.keyId],
  ["model_asked", "text", (row) => row.modelAsked],
  ["model_served", "text", (row) => row.modelServed],
  ["backend", "text", (row) => row.backend],
  ["protocol", "text", (row) => row.protocol],
  ["route", "text", (row) => row.route],
  ["status", "int4", (row) => row.status],
  ["error_code", "text", (row) => row.errorCode],
  ["attempts", "int4", (row) => row.attempts],
  ["latency_ms", "float8", (row) => row.latencyMs],
  ["ttfb_ms", "float8", (row) => row.ttfbMs],
  ["input_tokens", "int4", (row) => row.inputTokens],
  ["output_tokens", "int4", (row) => row.outputTokens],
  ["cached_tokens", "int4", (row) => row.cachedTokens],
  ["reasoning_tokens", "int4", (row) => row.reasoningTokens],
  ["cost_usd", "numeric", (row) => row.costUsd],
  ["session_key", "text", (row) => row.sessionKey],
  ["prompt_text", "text", (row) => row.promptText],
  ["completion_text", "text", (row) => row.completionText],
];

/** The columns an insert writes, in order: every column of the table (test/ledger/database.test.ts). */
export const INSERT_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

const NAMES = sql.raw(INSERT_COLUMNS.join(", "));

/** A batch as one array per column, in the order of INSERT_COLUMNS (times as Dates). */
export type LedgerColumns = unknown[][];

export function columnsOf(rows: readonly LedgerRow[]): LedgerColumns {
  return COLUMNS.map(([, , read]) => rows.map(read));
}

const TIME_COLUMN = INSERT_COLUMNS.indexOf("time");

export function insertStatement(columns: LedgerColumns): SQL {
  const arrays = COLUMNS.map(([, type], index) => {
    const values =
      index === TIME_COLUMN ? columns[index]!.map((time) => (time as Date).toISOString()) : columns[index];
    return sql`${sql.param(values)}::${sql.raw(type)}[]`;
  });
  return sql`INSERT INTO ledger_requests (${NAMES}) SELECT * FROM unnest(${sql.join(arrays, sql`, `)}) ON CONFLICT (id) DO NOTHING`;
}

/** Inserts a batch given as its columns; an empty one is no statement at all. */
export async function insertColumns(db: LedgerDb, columns: LedgerColumns): Promise<void> {
  if ((columns[0]?.length ?? 0) === 0) return;
  await db.execute(insertStatement(columns));
}

export function databaseSink(db: LedgerDb): LedgerSink {
  return {
    insert: (rows) => insertColumns(db, columnsOf(rows)),
  };
}
