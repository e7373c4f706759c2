/**
 * The worker thread that owns the embedded database (PGlite) for the gateway: it opens it, runs
 * the migrations, the batch inserts and the admin queries it is sent (worker-store.ts), and answers
 * each call by its id. PGlite runs Postgres on the thread that calls it; here that thread is this
 * one, so a 500-row insert no longer stalls the gateway's requests.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { type LedgerDatabase, openLedgerDatabase } from "./database.js";
import { insertColumns } from "./insert.js";
import { databaseStore, type LedgerStore } from "./store.js";
import type { WorkerCall, WorkerData, WorkerMessage } from "./worker-protocol.js";

const port = parentPort;
if (!port) throw new Error("embedded-worker.ts runs as a worker thread (worker-store.ts starts it)");

const post = (message: WorkerMessage) => port.postMessage(message);

async function answer(database: LedgerDatabase, store: LedgerStore, call: WorkerCall): Promise<unknown> {
  switch (call.op) {
    case "migrate":
      return store.migrate();
    case "insert":
      return insertColumns(database.db, call.columns);
    case "usage":
      return store.usage(call.query);
    case "requests":
      return store.requests(call.query);
    case "forgetTextBefore":
      return store.forgetTextBefore(call.before);
    case "close":
      return store.close();
  }
}

try {
  const database = await openLedgerDatabase({ dir: (workerData as WorkerData).dir });
  const store = databaseStore(database);
  port.on("message", (call: WorkerCall) => {
    answer(database, store, call).then(
      (value) => post({ kind: "result", id: call.id, value }),
      (error: unknown) => post({ kind: "failure", id: call.id, message: messageOf(error) }),
    );
  });
  post({ kind: "ready" });
} catch (error) {
  post({ kind: "failed", message: messageOf(error) });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
