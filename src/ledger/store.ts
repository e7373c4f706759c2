/**
 * What the ledger asks of its database, whichever way it is reached: migrate, insert a batch, run
 * the admin queries, forget old text, close. `databaseStore` runs them here over a database
 * connection; `workerStore` (worker-store.ts) hands them to a worker thread that owns the embedded
 * database, so its work never lands on the gateway's thread.
 * @module
 */
import type { LedgerDatabase } from "./database.js";
import { databaseSink } from "./insert.js";
import { migrate } from "./migrate.js";
import {
  forgetTextBefore,
  type RequestsPage,
  type RequestsQuery,
  requestsPage,
  type UsageQuery,
  type UsageRow,
  usage,
} from "./queries.js";
import type { LedgerRow } from "./row.js";

export interface LedgerStore {
  readonly kind: LedgerDatabase["kind"];
  migrate(): Promise<void>;
  insert(rows: readonly LedgerRow[]): Promise<void>;
  usage(query: UsageQuery): Promise<UsageRow[]>;
  requests(query: RequestsQuery): Promise<RequestsPage>;
  forgetTextBefore(before: Date): Promise<void>;
  close(): Promise<void>;
}

export function databaseStore(database: LedgerDatabase): LedgerStore {
  const sink = databaseSink(database.db);
  return {
    kind: database.kind,
    migrate: async () => {
      await migrate(database.db);
    },
    insert: (rows) => sink.insert(rows),
    usage: (query) => usage(database.db, query),
    requests: (query) => requestsPage(database.db, query),
    forgetTextBefore: (before) => forgetTextBefore(database.db, before),
    close: () => database.close(),
  };
}
