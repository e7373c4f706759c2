/**
 * Vitest global setup: one embedded ledger database, created and migrated once per test run, that
 * every test opening an embedded ledger starts from (ledger-snapshot.ts copies it). A fresh PGlite
 * runs initdb, seconds of CPU; a copy of a prepared data directory opens in a fraction of that.
 * It is made in the background so the run's first tests start at once; the tests that need it wait
 * for its marker file.
 */
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openLedgerDatabase } from "../../src/ledger/database.js";
import { migrate } from "../../src/ledger/migrate.js";
import { SNAPSHOT_DATA, SNAPSHOT_MARKER, type SnapshotMarker } from "./ledger-snapshot.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder the snapshot is made in; its marker file says when it is ready, or why it failed. */
    ledgerSnapshotRoot: string;
  }
}

interface Shared {
  root: Promise<string>;
  made: Promise<void>;
  users: number;
}

/**
 * The run's snapshot, shared by the projects that run this setup: vitest evaluates the file once per
 * project, so the one copy lives on the process's global object.
 */
const SHARED = Symbol.for("switchyard.ledgerSnapshot");
const holder = globalThis as { [SHARED]?: Shared };

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!holder[SHARED]) {
    const root = mkdtemp(join(tmpdir(), "switchyard-ledger-snapshot-"));
    holder[SHARED] = { root, made: root.then(makeSnapshot), users: 0 };
  }
  const run = holder[SHARED];
  run.users++;
  return run.root.then((root) => {
    project.provide("ledgerSnapshotRoot", root);
    return async () => {
      if (--run.users > 0) return;
      if (holder[SHARED] === run) delete holder[SHARED];
      await run.made;
      await rm(root, { recursive: true, force: true });
    };
  });
}

async function makeSnapshot(root: string): Promise<void> {
  let marker: SnapshotMarker;
  try {
    const database = await openLedgerDatabase({ dir: join(root, SNAPSHOT_DATA) });
    try {
      await migrate(database.db);
    } finally {
      await database.close();
    }
    marker = { ready: true };
  } catch (error) {
    marker = { ready: false, error: error instanceof Error ? error.message : String(error) };
  }
  // Written whole, then renamed: a test never reads half a marker.
  const partial = join(root, `${SNAPSHOT_MARKER}.partial`);
  await writeFile(partial, JSON.stringify(marker));
  await rename(partial, join(root, SNAPSHOT_MARKER));
}
