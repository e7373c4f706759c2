/**
 * The ledger writer over a sink the test controls, with timers the test fires: batches, retries in
 * order after a failure, a bounded buffer that drops and counts past its limit, and a close that
 * writes what is left.
 */
import { describe, expect, it } from "vitest";
import type { LedgerRow } from "../../src/ledger/row.js";
import { LedgerWriter, type LedgerWriterOptions } from "../../src/ledger/writer.js";
import { ledgerRow } from "./fixtures.js";

class ControlledSink {
  readonly written: LedgerRow[] = [];
  readonly batches: number[] = [];
  failing = false;
  /** Answers on a later turn of the event loop, as a database does. */
  slow = false;
  async insert(rows: readonly LedgerRow[]): Promise<void> {
    if (this.slow) await settle();
    if (this.failing) throw new Error("database away");
    this.batches.push(rows.length);
    this.written.push(...rows);
  }
}

/** Timers that run only when the test says so. */
class ManualTimers {
  readonly pending: { run: () => void; ms: number }[] = [];
  readonly schedule = (run: () => void, ms: number) => {
    const timer = { run, ms };
    this.pending.push(timer);
    return () => {
      const at = this.pending.indexOf(timer);
      if (at >= 0) this.pending.splice(at, 1);
    };
  };
  async fireAll(): Promise<void> {
    const due = this.pending.splice(0);
    for (const timer of due) timer.run();
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function writer(sink: ControlledSink, timers: ManualTimers, options: Partial<LedgerWriterOptions> = {}) {
  const counts = { written: 0, dropped: 0, errors: 0 };
  const instance = new LedgerWriter(sink, {
    maxBuffered: 10,
    batchSize: 4,
    flushIntervalMs: 250,
    retryMinMs: 100,
    retryMaxMs: 400,
    schedule: timers.schedule,
    onWritten: (rows) => {
      counts.written += rows;
    },
    onDropped: (rows) => {
      counts.dropped += rows;
    },
    onError: () => {
      counts.errors++;
    },
    ...options,
  });
  return { instance, counts };
}

const rows = (count: number) =>
  Array.from({ length: count }, (_, index) => ledgerRow({ requestId: `r${index}` }));

describe("LedgerWriter", () => {
  it("writes a full batch at once and the rest when the flush interval passes", async () => {
    const sink = new ControlledSink();
    const timers = new ManualTimers();
    const { instance, counts } = writer(sink, timers);
    for (const row of rows(6)) instance.record(row);
    await settle();
    expect(sink.batches).toEqual([4]);
    expect(timers.pending.map((timer) => timer.ms)).toEqual([250]);
    await timers.fireAll();
    expect(sink.batches).toEqual([4, 2]);
    expect(sink.written.map((row) => row.requestId)).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    expect(counts).toEqual({ written: 6, dropped: 0, errors: 0 });
  });

  it("flushes every row, batches that start one another included", async () => {
    const sink = new ControlledSink();
    sink.slow = true;
    const { instance } = writer(sink, new ManualTimers(), { maxBuffered: 100 });
    for (const row of rows(12)) instance.record(row);
    await instance.flush();
    expect(sink.batches).toEqual([4, 4, 4]);
    expect(instance.written).toBe(12);
    expect(instance.buffered).toBe(0);
  });

  it("keeps rows through a failure, retries with a doubling pause, and writes them in order", async () => {
    const sink = new ControlledSink();
    const timers = new ManualTimers();
    const { instance, counts } = writer(sink, timers);
    sink.failing = true;
    for (const row of rows(3)) instance.record(row);
    await timers.fireAll();
    expect(timers.pending.map((timer) => timer.ms)).toEqual([100]);
    await timers.fireAll();
    expect(timers.pending.map((timer) => timer.ms)).toEqual([200]);
    await timers.fireAll();
    await timers.fireAll();
    expect(timers.pending.map((timer) => timer.ms)).toEqual([400]);
    expect(instance.buffered).toBe(3);
    sink.failing = false;
    instance.record(ledgerRow({ requestId: "r3" }));
    await timers.fireAll();
    expect(sink.written.map((row) => row.requestId)).toEqual(["r0", "r1", "r2", "r3"]);
    expect(counts.written).toBe(4);
    expect(counts.errors).toBe(4);
    expect(instance.buffered).toBe(0);
  });

  it("drops and counts rows past its bound while the database is away, keeping the ones it holds", async () => {
    const sink = new ControlledSink();
    const timers = new ManualTimers();
    const { instance, counts } = writer(sink, timers);
    sink.failing = true;
    for (const row of rows(15)) instance.record(row);
    await timers.fireAll();
    expect(instance.buffered).toBe(10);
    expect(counts.dropped).toBe(5);
    expect(instance.dropped).toBe(5);
    sink.failing = false;
    await instance.flush();
    expect(sink.written.map((row) => row.requestId)).toEqual(rows(10).map((row) => row.requestId));
    expect(counts.written).toBe(10);
  });

  it("writes what is left at close, and counts as dropped what it could not write by the deadline", async () => {
    const sink = new ControlledSink();
    const { instance } = writer(sink, new ManualTimers());
    for (const row of rows(3)) instance.record(row);
    await instance.close();
    expect(sink.written).toHaveLength(3);
    instance.record(ledgerRow());
    expect(instance.dropped).toBe(1);

    const away = new ControlledSink();
    away.failing = true;
    const { instance: stuck, counts } = writer(away, new ManualTimers(), {
      schedule: (run, ms) => {
        const timer = setTimeout(run, ms);
        return () => clearTimeout(timer);
      },
    });
    for (const row of rows(2)) stuck.record(row);
    await stuck.close(0);
    expect(counts.dropped).toBe(2);
    expect(stuck.buffered).toBe(0);
  });
});
