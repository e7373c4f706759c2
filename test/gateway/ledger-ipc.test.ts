/**
 * The embedded ledger under `--workers`: the primary holds the one database and every worker's
 * store reaches it over IPC. Here the store's calls cross a channel that behaves like IPC (JSON,
 * in order, later) to a host over a recording store: times leave as Dates and arrive as Dates, the
 * migrations run once for any number of workers, and a worker closing leaves the database open.
 */
import { describe, expect, it } from "vitest";
import { IpcLedgerHost, ipcLedgerStore } from "../../src/gateway/ledger-ipc.js";
import type { RequestsQuery, UsageQuery } from "../../src/ledger/queries.js";
import type { LedgerRow } from "../../src/ledger/row.js";
import type { LedgerStore } from "../../src/ledger/store.js";
import { loopback } from "../state/loopback.js";

function recordingStore() {
  const calls: { op: string; arg?: unknown }[] = [];
  let closed = false;
  const store: LedgerStore = {
    kind: "embedded",
    migrate: async () => {
      calls.push({ op: "migrate" });
    },
    insert: async (rows) => {
      calls.push({ op: "insert", arg: rows });
    },
    usage: async (query) => {
      calls.push({ op: "usage", arg: query });
      return [];
    },
    requests: async (query) => {
      calls.push({ op: "requests", arg: query });
      const row = { id: "r2", time: new Date("2026-12-03T10:00:02Z") } as LedgerRow;
      return { rows: [row], next: { time: row.time, id: row.id } };
    },
    forgetTextBefore: async (before) => {
      calls.push({ op: "forgetTextBefore", arg: before });
    },
    close: async () => {
      closed = true;
    },
  };
  return { store, calls, closed: () => closed };
}

function workerOf(host: IpcLedgerHost): LedgerStore {
  const channel = loopback();
  host.serve(channel.primary);
  return ipcLedgerStore(channel.worker);
}

describe("the embedded ledger shared by --workers", () => {
  it("carries rows and queries to the primary's store with their times as Dates, both ways", async () => {
    const recording = recordingStore();
    const host = new IpcLedgerHost(recording.store);
    const worker = workerOf(host);
    const time = new Date("2026-12-03T10:00:00.123Z");
    await worker.insert([{ id: "r1", time, status: 200 } as LedgerRow]);
    const usage: UsageQuery = { groupBy: "key", bucket: "hour", from: new Date(0), to: time };
    await worker.usage(usage);
    const after = { time, id: "r1" };
    const requests: RequestsQuery = { limit: 10, from: new Date(5), to: undefined, after };
    const page = await worker.requests(requests);
    await worker.forgetTextBefore(time);

    expect(recording.calls.map((call) => call.op)).toEqual([
      "insert",
      "usage",
      "requests",
      "forgetTextBefore",
    ]);
    const [inserted, usageCall, requestsCall, forgetCall] = recording.calls.map((call) => call.arg);
    expect(inserted).toEqual([{ id: "r1", time, status: 200 }]);
    expect(usageCall).toEqual(usage);
    expect(requestsCall).toMatchObject({ limit: 10, from: new Date(5), after });
    expect(forgetCall).toEqual(time);
    expect(page.rows[0]!.time).toEqual(new Date("2026-12-03T10:00:02Z"));
    expect(page.next).toEqual({ time: new Date("2026-12-03T10:00:02Z"), id: "r2" });
  });

  it("migrates once for every worker, and a worker closing leaves the primary's database open", async () => {
    const recording = recordingStore();
    const host = new IpcLedgerHost(recording.store);
    const workers = [workerOf(host), workerOf(host), workerOf(host)];
    await Promise.all(workers.map((worker) => worker.migrate()));
    await workers[0]!.migrate();
    expect(recording.calls.filter((call) => call.op === "migrate")).toHaveLength(1);
    await workers[0]!.close();
    expect(recording.closed()).toBe(false);
    await expect(workers[0]!.insert([])).rejects.toThrow(/ledger/);
    await host.close();
    expect(recording.closed()).toBe(true);
  });
});
