/**
 * Hands ledger rows to the database off the request path. `record` only pushes onto a bounded
 * buffer; batches go out as multi-row INSERTs when the buffer holds a batch or the flush interval
 * passes. A failed batch goes back to the front and is retried with a doubling pause, so rows
 * survive a database outage as long as the buffer holds them; past its bound new rows are dropped
 * and counted. Retried inserts are idempotent (each row has its own UUID, ON CONFLICT DO NOTHING),
 * so a batch whose commit was lost in transit is not counted twice.
 * @module
 */
import type { LedgerRow } from "./row.js";

export interface LedgerSink {
  insert(rows: readonly LedgerRow[]): Promise<void>;
}

export interface LedgerWriterOptions {
  /** Rows held at most, buffered and in flight together. */
  maxBuffered: number;
  /** Rows per INSERT. */
  batchSize: number;
  /** Longest a row waits for a batch to fill. */
  flushIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  onWritten?: (rows: number) => void;
  /** Called for each row refused because the buffer was full. */
  onDropped?: (rows: number) => void;
  onError?: (error: unknown, buffered: number) => void;
  /** Timers, replaceable by tests; the default never keeps the process alive. */
  schedule?: (run: () => void, ms: number) => () => void;
}

export const DEFAULT_WRITER_OPTIONS = {
  maxBuffered: 50_000,
  batchSize: 500,
  flushIntervalMs: 250,
  retryMinMs: 100,
  retryMaxMs: 5_000,
} as const;

export class LedgerWriter {
  readonly #sink: LedgerSink;
  readonly #options: LedgerWriterOptions;
  readonly #schedule: (run: () => void, ms: number) => () => void;
  #buffer: LedgerRow[] = [];
  #inFlight = 0;
  #writing: Promise<void> | undefined;
  #cancelTimer: (() => void) | undefined;
  #retryMs = 0;
  #closed = false;
  #written = 0;
  #dropped = 0;

  constructor(sink: LedgerSink, options: LedgerWriterOptions) {
    this.#sink = sink;
    this.#options = options;
    this.#schedule = options.schedule ?? scheduleUnref;
  }

  get buffered(): number {
    return this.#buffer.length + this.#inFlight;
  }

  get written(): number {
    return this.#written;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Never waits and never throws: the request that made the row is already answered. */
  record(row: LedgerRow): void {
    if (this.#closed || this.buffered >= this.#options.maxBuffered) {
      this.#dropped++;
      this.#options.onDropped?.(1);
      return;
    }
    this.#buffer.push(row);
    if (this.#writing || this.#retryMs > 0) return;
    if (this.#buffer.length >= this.#options.batchSize) this.#startWriting();
    else this.#arm(this.#options.flushIntervalMs);
  }

  /**
   * Writes what is buffered, batch after batch, until the buffer is empty or a batch fails: what a
   * test or a shutdown waits for. Resolves either way; `buffered` says what is left.
   */
  async flush(): Promise<void> {
    this.#disarm();
    for (;;) {
      // A batch that ends may start the next itself (#afterWrite): wait for that one too.
      if (this.#writing) {
        await this.#writing;
        continue;
      }
      if (this.#buffer.length === 0) return;
      const before = this.#written;
      this.#startWriting();
      await this.#writing;
      if (this.#written === before) return;
    }
  }

  /** Stops taking rows and writes the rest, trying until `deadlineMs` passes. */
  async close(deadlineMs = 5_000): Promise<void> {
    this.#closed = true;
    const until = Date.now() + deadlineMs;
    for (;;) {
      await this.flush();
      if (this.#buffer.length === 0 || Date.now() >= until) break;
      await new Promise<void>((resolve) =>
        this.#schedule(resolve, Math.min(this.#retryMs || 100, until - Date.now())),
      );
    }
    this.#disarm();
    const lost = this.#buffer.length;
    if (lost > 0) {
      this.#dropped += lost;
      this.#options.onDropped?.(lost);
      this.#buffer = [];
    }
  }

  #arm(ms: number): void {
    if (this.#cancelTimer) return;
    this.#cancelTimer = this.#schedule(() => {
      this.#cancelTimer = undefined;
      this.#startWriting();
    }, ms);
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #startWriting(): void {
    if (this.#writing || this.#buffer.length === 0) return;
    this.#disarm();
    this.#writing = this.#writeBatch().finally(() => {
      this.#writing = undefined;
      this.#afterWrite();
    });
  }

  async #writeBatch(): Promise<void> {
    const batch = this.#buffer.splice(0, this.#options.batchSize);
    this.#inFlight = batch.length;
    try {
      await this.#sink.insert(batch);
      this.#written += batch.length;
      this.#retryMs = 0;
      this.#options.onWritten?.(batch.length);
    } catch (error) {
      // Back to the front, in order: the bound counted them all along, so nothing overflows here.
      this.#buffer = batch.concat(this.#buffer);
      this.#retryMs = Math.min(
        this.#options.retryMaxMs,
        this.#retryMs === 0 ? this.#options.retryMinMs : this.#retryMs * 2,
      );
      this.#options.onError?.(error, this.buffered);
    } finally {
      this.#inFlight = 0;
    }
  }

  #afterWrite(): void {
    if (this.#closed || this.#buffer.length === 0) return;
    if (this.#retryMs > 0) {
      this.#arm(this.#retryMs);
      return;
    }
    if (this.#buffer.length >= this.#options.batchSize) this.#startWriting();
    else this.#arm(this.#options.flushIntervalMs);
  }
}

function scheduleUnref(run: () => void, ms: number): () => void {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
