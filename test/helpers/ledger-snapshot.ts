/**
 * Embedded ledger databases for tests, started from the run's snapshot (ledger-snapshot-setup.ts):
 * a copy of a data directory that was created and migrated once, so a test's PGlite resumes it
 * instead of running initdb. The migrations still run at open and find nothing to do; the worker
 * store's test opens a truly fresh one so the path from nothing stays tested.
 */
import { constants } from "node:fs";
import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";

export const SNAPSHOT_DATA = "data";
export const SNAPSHOT_MARKER = "ready.json";

export type SnapshotMarker = { ready: true } | { ready: false; error: string };

const WAIT_MS = 120_000;
const POLL_MS = 50;

let prepared: Promise<string | undefined> | undefined;

/** The snapshot's data directory once it is ready; undefined when the run has no snapshot (another config). */
function snapshotData(): Promise<string | undefined> {
  prepared ??= waitForSnapshot();
  return prepared;
}

async function waitForSnapshot(): Promise<string | undefined> {
  const root = inject("ledgerSnapshotRoot");
  if (!root) return undefined;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const marker = await readMarker(join(root, SNAPSHOT_MARKER));
    if (marker?.ready) return join(root, SNAPSHOT_DATA);
    if (marker) throw new Error(`the run's ledger snapshot could not be made: ${marker.error}`);
    if (Date.now() > deadline) throw new Error(`the run's ledger snapshot was not ready after ${WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}

async function readMarker(path: string): Promise<SnapshotMarker | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as SnapshotMarker;
  } catch {
    return undefined;
  }
}

/**
 * Fills `dir` (which must not exist yet) with a migrated embedded database and returns it, for a
 * gateway's `ledger_dir` or `openLedgerDatabase({ dir })`. Without a snapshot it is left alone and
 * the database is created fresh at open.
 */
export async function seededLedgerDir(dir: string): Promise<string> {
  const data = await snapshotData();
  if (data) await cp(data, dir, { recursive: true, mode: constants.COPYFILE_FICLONE });
  return dir;
}
