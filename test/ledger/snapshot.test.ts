/**
 * The run's ledger snapshot (test/helpers/ledger-snapshot.ts): a seeded directory is a whole
 * embedded database with every migration applied, so opening it runs no initdb and migrating it
 * applies nothing. (worker-store.test.ts opens a truly fresh one: the path from nothing.)
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedgerDatabase } from "../../src/ledger/database.js";
import { migrate } from "../../src/ledger/migrate.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";

describe("a ledger directory seeded from the run's snapshot", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-ledger-seeded-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("holds a database with every migration applied", async () => {
    const seeded = await seededLedgerDir(join(dir, "db"));
    expect(existsSync(join(seeded, "PG_VERSION"))).toBe(true);
    const database = await openLedgerDatabase({ dir: seeded });
    try {
      expect(await migrate(database.db)).toEqual([]);
    } finally {
      await database.close();
    }
  }, 60_000);
});
