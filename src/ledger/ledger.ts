/**
 * The request ledger as the gateway holds it: the database, migrated, the writer that batches
 * rows into it, the queries the admin routes run, and the sweep that clears kept prompt and
 * completion text past its retention. A Postgres server that cannot be reached at start does not
 * stop the gateway: rows wait in the writer's buffer, and the migrations run with the first write
 * or query that reaches the server. The embedded database runs in a worker thread of its own
 * (worker-store.ts), so its inserts and queries never stall the gateway's requests; should that
 * thread die, the store starts another while the writer keeps the rows, as for a database outage.
 * @module
 */
import { type LedgerDatabaseOptions, openLedgerDatabase } from "./database.js";
import type { RequestsPage, RequestsQuery, UsageQuery, UsageRow } from "./queries.js";
import type { LedgerRow } from "./row.js";
import { databaseStore, type LedgerStore } from "./store.js";
import { openWorkerStore, type WorkerStoreOptions } from "./worker-store.js";
import { DEFAULT_WRITER_OPTIONS, LedgerWriter, type LedgerWriterOptions } from "./writer.js";

export interface LedgerOptions extends LedgerDatabaseOptions {
  /** Days kept prompt and completion text stays; 0 keeps it. */
  textRetentionDays?: number;
  writer?: Partial<LedgerWriterOptions>;
  /** Runs the embedded database on the calling thread instead of a worker (tests that compare the two). */
  embeddedOnThisThread?: boolean;
  /** The embedded database's worker thread: what to tell of its restarts, and their pauses. */
  worker?: WorkerStoreOptions;
  /** A store opened elsewhere (a `--workers` worker's, reaching the primary's database) instead of one of its own. */
  store?: LedgerStore | undefined;
}

const DAY_MS = 86_400_000;
const SWEEP_INTERVAL_MS = 3_600_000;

export class Ledger {
  readonly store: LedgerStore;
  readonly writer: LedgerWriter;
  readonly #options: LedgerOptions;
  #sweep: NodeJS.Timeout | undefined;
  #migrated: Promise<void> | undefined;

  private constructor(store: LedgerStore, options: LedgerOptions) {
    this.store = store;
    this.#options = options;
    this.writer = new LedgerWriter(
      {
        insert: async (rows) => {
          await this.ready();
          await store.insert(rows);
        },
      },
      { ...DEFAULT_WRITER_OPTIONS, ...options.writer },
    );
  }

  /**
   * Opens the database and tries its migrations once. An embedded database that cannot be opened
   * is an error; a server that does not answer yet is only reported through `onError`.
   */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const ledger = new Ledger(await openStore(options), options);
    try {
      await ledger.ready();
    } catch (error) {
      if (ledger.store.kind === "embedded") {
        await ledger.store.close().catch(() => {});
        throw error;
      }
      options.onError?.(error as Error);
    }
    ledger.#startSweep();
    return ledger;
  }

  /** Resolves once the schema is current; a failure is forgotten, so the next call tries again. */
  ready(): Promise<void> {
    this.#migrated ??= this.store.migrate().then(
      () => {},
      (error: unknown) => {
        this.#migrated = undefined;
        throw error;
      },
    );
    return this.#migrated;
  }

  record(row: LedgerRow): void {
    this.writer.record(row);
  }

  async usage(query: UsageQuery): Promise<UsageRow[]> {
    await this.ready();
    return this.store.usage(query);
  }

  async requests(query: RequestsQuery): Promise<RequestsPage> {
    await this.ready();
    return this.store.requests(query);
  }

  /** Writes what is buffered (trying until `deadlineMs`), then closes the database. */
  async close(deadlineMs?: number): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    await this.writer.close(deadlineMs);
    await this.store.close();
  }

  #startSweep(): void {
    const days = this.#options.textRetentionDays ?? 0;
    if (days <= 0) return;
    const sweep = () => {
      this.ready()
        .then(() => this.store.forgetTextBefore(new Date(Date.now() - days * DAY_MS)))
        .catch((error: unknown) => this.#options.onError?.(error as Error));
    };
    sweep();
    this.#sweep = setInterval(sweep, SWEEP_INTERVAL_MS);
    this.#sweep.unref();
  }
}

async function openStore(options: LedgerOptions): Promise<LedgerStore> {
  if (options.store) return options.store;
  if (options.url || options.embeddedOnThisThread) return databaseStore(await openLedgerDatabase(options));
  return openWorkerStore(options.dir, options.worker);
}
