/**
 * The request ledger as the gateway holds it: the database, its migrations applied, the writer
 * that batches rows into it, the queries the admin routes run, and the sweep that clears kept
 * prompt and completion text past its retention.
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
  readonly #sweep: NodeJS.Timeout | undefined;

  private constructor(database: LedgerDatabase, options: LedgerOptions) {
    this.database = database;
    this.writer = new LedgerWriter(databaseSink(database.db), {
      ...DEFAULT_WRITER_OPTIONS,
      ...options.writer,
    });
    const days = options.textRetentionDays ?? 0;
    if (days > 0) {
      const sweep = () => {
        forgetTextBefore(database.db, new Date(Date.now() - days * DAY_MS)).catch((error) =>
          options.onError?.(error as Error),
        );
      };
      sweep();
      this.#sweep = setInterval(sweep, SWEEP_INTERVAL_MS);
      this.#sweep.unref();
    }
  }

  /** Opens the database and migrates it: a database that cannot be reached at start is an error. */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const database = await openLedgerDatabase(options);
    try {
      await migrate(database.db);
    } catch (error) {
      await database.close().catch(() => {});
      throw error;
    }
    return new Ledger(database, options);
  }

  record(row: LedgerRow): void {
    this.writer.record(row);
  }

  usage(query: UsageQuery): Promise<UsageRow[]> {
    return usage(this.database.db, query);
  }

  requests(query: RequestsQuery): Promise<RequestsPage> {
    return requestsPage(this.database.db, query);
  }

  /** Writes what is buffered (trying until `deadlineMs`), then closes the database. */
  async close(deadlineMs?: number): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    await this.writer.close(deadlineMs);
    await this.database.close();
  }
}
