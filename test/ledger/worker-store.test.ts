/**
 * The embedded database in its worker thread: calls and their answers cross the thread intact
 * (Dates included), a failing statement rejects with the database's message, a directory that
 * cannot be opened fails the open, a closed store refuses further calls, and a database created
 * by the passing worker that runs initdb reopens with its rows.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../src/ledger/store.js";
import { openWorkerStore } from "../../src/ledger/worker-store.js";
import { ledgerRow } from "./fixtures.js";

describe("the embedded database in a worker thread", () => {
  let store: LedgerStore;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-ledger-worker-"));
    store = await openWorkerStore(join(dir, "db"));
    await store.migrate();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("inserts a batch and answers the queries with the rows as they went in", async () => {
    const rows = [
      ledgerRow({ requestId: "w1", costUsd: 0.5, promptText: 'ü, {quoted} "text"' }),
      ledgerRow({ requestId: "w2", time: new Date("2026-01-01T11:00:00Z"), status: 502 }),
    ];
    await store.insert(rows);
    const page = await store.requests({ limit: 10, key: "team-a" });
    expect(page.rows).toEqual([rows[1], rows[0]]);
    expect(page.rows[0]!.time).toBeInstanceOf(Date);
    const summed = await store.usage({
      groupBy: "key",
      bucket: "day",
      from: new Date("2026-01-01T00:00:00Z"),
      to: new Date("2026-01-02T00:00:00Z"),
    });
    expect(summed).toEqual([
      expect.objectContaining({ group: "team-a", requests: 2, errors: 1, costUsd: 0.5 }),
    ]);
    await store.forgetTextBefore(new Date("2027-01-01T00:00:00Z"));
    const forgotten = await store.requests({ limit: 10, key: "team-a" });
    expect(forgotten.rows.map((row) => row.promptText)).toEqual([null, null]);
  });

  it("rejects a failing statement with the database's message and keeps answering", async () => {
    await expect(store.insert([ledgerRow({ id: "not-a-uuid" })])).rejects.toThrow(/uuid/);
    expect((await store.requests({ limit: 1 })).rows).toHaveLength(1);
  });

  it("fails to open a directory that is a file", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a directory");
    await expect(openWorkerStore(file)).rejects.toThrow();
  }, 60_000);

  // Last: they close the store the others share (one embedded database per file: each takes seconds to create).
  it("refuses calls once closed", async () => {
    await store.close();
    await expect(store.requests({ limit: 1 })).rejects.toThrow(/closed/);
  });

  it("reopens the database that a passing worker created, with its rows", async () => {
    const reopened = await openWorkerStore(join(dir, "db"));
    try {
      await reopened.migrate();
      expect((await reopened.requests({ limit: 10 })).rows.map((row) => row.requestId)).toEqual(["w2", "w1"]);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
