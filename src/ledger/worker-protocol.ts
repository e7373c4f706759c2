/**
 * The messages between the gateway's thread (worker-store.ts) and the embedded database's worker
 * (embedded-worker.ts). Everything in them survives the structured clone: plain objects, arrays,
 * strings, numbers and Dates.
 * @module
 */
import type { LedgerColumns } from "./insert.js";
import type { RequestsPage, RequestsQuery, UsageQuery, UsageRow } from "./queries.js";

export interface WorkerData {
  /** PGlite's data directory; undefined or `memory://` keeps it in memory. */
  dir: string | undefined;
}

export type WorkerCall = { id: number } & (
  | { op: "migrate" }
  /** A batch as its columns (insert.ts columnsOf): plain arrays clone faster than row objects. */
  | { op: "insert"; columns: LedgerColumns }
  | { op: "usage"; query: UsageQuery }
  | { op: "requests"; query: RequestsQuery }
  | { op: "forgetTextBefore"; before: Date }
  | { op: "close" }
);

/** What each call resolves to, by its op. */
export interface WorkerResults {
  migrate: undefined;
  insert: undefined;
  usage: UsageRow[];
  requests: RequestsPage;
  forgetTextBefore: undefined;
  close: undefined;
}

export type WorkerMessage =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "result"; id: number; value: unknown }
  | { kind: "failure"; id: number; message: string };
