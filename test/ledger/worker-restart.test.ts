/**
 * The embedded database's worker thread dies (as a crash or running out of memory would end it):
 * the rows recorded meanwhile wait in the writer's buffer, as for a database outage, the store
 * starts a new worker after its pause, and every row is written once it is back. A restart that
 * fails is tried again after a longer pause. The restart timer is the test's, so nothing here
 * depends on how long a start takes.
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger } from "../../src/ledger/ledger.js";
import type { EmbeddedWorkerStore } from "../../src/ledger/worker-store.js";
import { eventually } from "../helpers/http.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";
import { ledgerRow } from "./fixtures.js";

describe("the embedded ledger when its database worker dies", () => {
  let dir: string;
  let db: string;
  let ledger: Ledger;
  let store: EmbeddedWorkerStore;
  const restartsAsked: { run: () => void; ms: number }[] = [];
  const restarted: number[] = [];
  const failed: Error[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-ledger-restart-"));
    db = await seededLedgerDir(join(dir, "db"));
    // A copy to put back after the test below breaks the directory.
    await cp(db, join(dir, "spare"), { recursive: true });
    ledger = await Ledger.open({
      dir: db,
      worker: {
        schedule: (run, ms) => {
          restartsAsked.push({ run, ms });
          return () => {};
        },
        onRestart: (restarts) => restarted.push(restarts),
        onRestartFailed: (error) => failed.push(error),
      },
      writer: { retryMinMs: 10, retryMaxMs: 50 },
    });
    store = ledger.store as EmbeddedWorkerStore;
  }, 60_000);

  afterAll(async () => {
    await ledger?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function drained(): Promise<void> {
    await eventually(async () => {
      await ledger.writer.flush();
      return ledger.writer.buffered === 0;
    }, 30_000);
  }

  const record = (tag: string, count: number) => {
    for (let index = 0; index < count; index++) ledger.record(ledgerRow({ requestId: `${tag}-${index}` }));
  };

  it("keeps the rows recorded while it is down and writes them once a new worker is up", async () => {
    record("before", 3);
    await ledger.writer.flush();
    expect(ledger.writer.written).toBe(3);

    await store.killWorker();
    await eventually(() => restartsAsked.length === 1);
    record("during", 4);
    await ledger.writer.flush();
    expect(ledger.writer.buffered).toBe(4);
    await expect(ledger.requests({ limit: 1 })).rejects.toThrow(/restarting/);

    restartsAsked.shift()!.run();
    await eventually(() => store.restarts === 1, 30_000);
    await drained();
    const page = await ledger.requests({ limit: 100 });
    expect(page.rows.map((row) => row.requestId).sort()).toEqual([
      "before-0",
      "before-1",
      "before-2",
      "during-0",
      "during-1",
      "during-2",
      "during-3",
    ]);
    expect(ledger.writer.dropped).toBe(0);
    expect(restarted).toEqual([1]);
  }, 60_000);

  it("tries a failed restart again after a longer pause", async () => {
    await store.killWorker();
    await eventually(() => restartsAsked.length === 1);
    const first = restartsAsked.shift()!;
    // Its directory is a file now: the new worker cannot open it.
    await rm(db, { recursive: true, force: true });
    await writeFile(db, "not a directory");
    first.run();
    await eventually(() => restartsAsked.length === 1, 30_000);
    expect(failed).toHaveLength(1);
    const second = restartsAsked.shift()!;
    expect(second.ms).toBe(first.ms * 2);

    await rm(db, { force: true });
    await cp(join(dir, "spare"), db, { recursive: true });
    record("after", 2);
    second.run();
    await eventually(() => store.restarts === 2, 30_000);
    await drained();
    const page = await ledger.requests({ limit: 100 });
    expect(page.rows.map((row) => row.requestId).sort()).toEqual(["after-0", "after-1"]);
  }, 60_000);
});
