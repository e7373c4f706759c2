/**
 * The request ledger as the gateway holds it: the database, migrated, the writer that batches
 * rows into it, the queries the admin routes run, and the sweep that clears kept prompt and
 * completion text past its retention. A Postgres server that cannot be reached at start does not
 * stop the gateway: rows wait in the writer's buffer, and the migrations run with the first write
 * or query that reaches the server.
 * @module
 */
import { type LedgerDatabase, type LedgerDatabaseOptions, openLedgerDatabase } from "./database.js";
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
import { DEFAULT_WRITER_OPTIONS, LedgerWriter, type LedgerWriterOptions } from "./writer.js";

export interface LedgerOptions extends LedgerDatabaseOptions {
  /** Days kept prompt and completion text stays; 0 keeps it. */
  textRetentionDays?: number;
  writer?: Partial<LedgerWriterOptions>;
}

const DAY_MS = 86_400_000;
const SWEEP_INTERVAL_MS = 3_600_000;

export class Ledger {
  readonly database: LedgerDatabase;
  readonly writer: LedgerWriter;
  readonly #options: LedgerOptions;
  #sweep: NodeJS.Timeout | undefined;
  #migrated: Promise<void> | undefined;

  private constructor(database: LedgerDatabase, options: LedgerOptions) {
    this.database = database;
    this.#options = options;
    const insert = databaseSink(database.db);
    this.writer = new LedgerWriter(
      {
        insert: async (rows) => {
          await this.ready();
          await insert.insert(rows);
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
    const ledger = new Ledger(await openLedgerDatabase(options), options);
    try {
      await ledger.ready();
    } catch (error) {
      if (ledger.database.kind === "embedded") {
        await ledger.database.close().catch(() => {});
        throw error;
      }
      options.onError?.(error as Error);
    }
    ledger.#startSweep();
    return ledger;
  }

  /** Resolves once the schema is current; a failure is forgotten, so the next call tries again. */
  ready(): Promise<void> {
    this.#migrated ??= migrate(this.database.db).then(
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
    return usage(this.database.db, query);
  }

  async requests(query: RequestsQuery): Promise<RequestsPage> {
    await this.ready();
    return requestsPage(this.database.db, query);
  }

  /** Writes what is buffered (trying until `deadlineMs`), then closes the database. */
  async close(deadlineMs?: number): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    await this.writer.close(deadlineMs);
    await this.database.close();
  }

  #startSweep(): void {
    const days = this.#options.textRetentionDays ?? 0;
    if (days <= 0) return;
    const sweep = () => {
      this.ready()
        .then(() => forgetTextBefore(this.database.db, new Date(Date.now() - days * DAY_MS)))
        .catch((error: unknown) => this.#options.onError?.(error as Error));
    };
    sweep();
    this.#sweep = setInterval(sweep, SWEEP_INTERVAL_MS);
    this.#sweep.unref();
  }
}
