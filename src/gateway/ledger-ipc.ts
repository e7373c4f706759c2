/**
 * The embedded ledger under `--workers`: PGlite belongs to one process, so the primary opens it
 * (in its own worker thread, ledger/worker-store.ts) and every gateway worker's
 * {@link LedgerStore} hands its batches and queries to the primary over its IPC channel. The channel carries JSON, so times
 * cross as epoch milliseconds and are Dates again on the other side.
 * @module
 */
import type { PageCursor, RequestsPage, RequestsQuery, UsageQuery, UsageRow } from "../ledger/queries.js";
import type { LedgerRow } from "../ledger/row.js";
import type { LedgerStore } from "../ledger/store.js";
import { channelPort, type IpcPort } from "../state/ipc-port.js";
import { IpcRpcClient, IpcRpcHost } from "../state/ipc-rpc.js";

const LEDGER_IPC_TAG = "switchyard:ledger";

/** Set to `ipc` in each worker's environment by a primary that hosts the embedded ledger. */
export const LEDGER_HOST_ENV = "SWITCHYARD_LEDGER_HOST";

/**
 * Long enough for a batch queued behind an export on the primary's database thread; a call the
 * primary never answers fails, and the writer keeps its rows buffered and tries again.
 */
const CALL_TIMEOUT_MS = 30_000;

type LedgerOp = "migrate" | "insert" | "usage" | "requests" | "forgetTextBefore";

type Wire<T> = {
  [K in keyof T]: T[K] extends Date ? number : T[K] extends Date | undefined ? number | undefined : T[K];
};
type WireCursor = Wire<PageCursor>;
type WireRequestsQuery = Omit<Wire<RequestsQuery>, "after"> & { after?: WireCursor | undefined };
interface WireRequestsPage {
  rows: Wire<LedgerRow>[];
  next: WireCursor | undefined;
}

const toMs = (date: Date | undefined) => date?.getTime();
const fromMs = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

const rowToWire = (row: LedgerRow): Wire<LedgerRow> => ({ ...row, time: row.time.getTime() });
const rowFromWire = (row: Wire<LedgerRow>): LedgerRow => ({ ...row, time: new Date(row.time) });
const cursorToWire = (cursor: PageCursor | undefined) =>
  cursor && { time: cursor.time.getTime(), id: cursor.id };
const cursorFromWire = (cursor: WireCursor | undefined) =>
  cursor && { time: new Date(cursor.time), id: cursor.id };

const usageToWire = (query: UsageQuery): Wire<UsageQuery> => ({
  ...query,
  from: query.from.getTime(),
  to: query.to.getTime(),
});
const usageFromWire = (query: Wire<UsageQuery>): UsageQuery => ({
  ...query,
  from: new Date(query.from),
  to: new Date(query.to),
});
const requestsToWire = (query: RequestsQuery): WireRequestsQuery => ({
  ...query,
  from: toMs(query.from),
  to: toMs(query.to),
  after: cursorToWire(query.after),
});
const requestsFromWire = (query: WireRequestsQuery): RequestsQuery => ({
  ...query,
  from: fromMs(query.from),
  to: fromMs(query.to),
  after: cursorFromWire(query.after),
});

class PrimaryUnavailableError extends Error {
  override readonly name = "PrimaryUnavailableError";
}

/** The channel to a `--workers` primary that holds the embedded ledger for its workers. */
export function primaryLedgerPort(): IpcPort | undefined {
  if (process.env[LEDGER_HOST_ENV] !== "ipc" || !process.send) return undefined;
  return channelPort(process);
}

/** A worker's ledger store: every call goes to the primary's embedded database. */
export function ipcLedgerStore(port: IpcPort): LedgerStore {
  const rpc = new IpcRpcClient({
    port,
    tag: LEDGER_IPC_TAG,
    callTimeoutMs: CALL_TIMEOUT_MS,
    unavailable: (reason) => new PrimaryUnavailableError(`ledger: ${reason}`),
  });
  const call = (op: LedgerOp, arg?: unknown) => rpc.call(op, arg);
  return {
    kind: "embedded",
    migrate: async () => {
      await call("migrate");
    },
    insert: async (rows) => {
      await call("insert", rows.map(rowToWire));
    },
    usage: async (query) => (await call("usage", usageToWire(query))) as UsageRow[],
    requests: async (query) => {
      const page = (await call("requests", requestsToWire(query))) as WireRequestsPage;
      return { rows: page.rows.map(rowFromWire), next: cursorFromWire(page.next) };
    },
    forgetTextBefore: async (before) => {
      await call("forgetTextBefore", before.getTime());
    },
    // The database is the primary's: a worker that stops only stops asking.
    close: async () => rpc.close("the ledger is closed"),
  };
}

/** The primary's side: answers every worker from its one store. */
export class IpcLedgerHost {
  readonly #store: LedgerStore;
  readonly #host: IpcRpcHost;
  #migrated: Promise<void> | undefined;

  constructor(store: LedgerStore, onError: (error: unknown) => void = () => {}) {
    this.#store = store;
    this.#host = new IpcRpcHost(LEDGER_IPC_TAG, (op, arg) => this.#run(op as LedgerOp, arg), onError);
  }

  serve(port: IpcPort): () => void {
    return this.#host.serve(port);
  }

  serveForkedWorkers(): void {
    this.#host.serveForkedWorkers();
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  async #run(op: LedgerOp, arg: unknown): Promise<unknown> {
    switch (op) {
      case "migrate":
        // Every worker asks at its start; the migrations run once.
        this.#migrated ??= this.#store.migrate().catch((error: unknown) => {
          this.#migrated = undefined;
          throw error;
        });
        return this.#migrated;
      case "insert":
        return this.#store.insert((arg as Wire<LedgerRow>[]).map(rowFromWire));
      case "usage":
        return this.#store.usage(usageFromWire(arg as Wire<UsageQuery>));
      case "requests": {
        const page: RequestsPage = await this.#store.requests(requestsFromWire(arg as WireRequestsQuery));
        return { rows: page.rows.map(rowToWire), next: cursorToWire(page.next) } satisfies WireRequestsPage;
      }
      case "forgetTextBefore":
        return this.#store.forgetTextBefore(new Date(Number(arg)));
    }
  }
}

/**
 * Opens the embedded database in `dir` (in a worker thread of the primary's) and serves it to
 * every gateway worker forked from now on, which must be forked with `LEDGER_HOST_ENV=ipc`.
 */
export async function hostLedgerForWorkers(
  dir: string,
  onError: (error: unknown) => void = () => {},
): Promise<IpcLedgerHost> {
  // Loaded only when a ledger is on: it brings drizzle with it.
  const { openWorkerStore } = await import("../ledger/worker-store.js");
  const store = await openWorkerStore(dir, {
    onRestart: (restarts, error) =>
      onError(
        new Error(`the database worker died (${error.message}) and was restarted (${restarts} so far)`),
      ),
    onRestartFailed: onError,
  });
  const host = new IpcLedgerHost(store, onError);
  host.serveForkedWorkers();
  return host;
}
