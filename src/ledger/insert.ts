/**
 * The writer's sink over a ledger database: one multi-row INSERT per batch. Rows already present
 * (a batch retried after its commit was lost in transit) are passed over, not doubled.
 * @module
 */
import type { LedgerDb } from "./database.js";
import type { LedgerRow } from "./row.js";
import { ledgerRequests } from "./schema.js";
import type { LedgerSink } from "./writer.js";

export function databaseSink(db: LedgerDb): LedgerSink {
  return {
    async insert(rows) {
      if (rows.length === 0) return;
      await db
        .insert(ledgerRequests)
        .values(rows as LedgerRow[])
        .onConflictDoNothing({ target: ledgerRequests.id });
    },
  };
}
