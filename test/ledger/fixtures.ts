/** Ledger rows for tests, and the two databases every ledger test runs against. */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LedgerDatabase, openLedgerDatabase } from "../../src/ledger/database.js";
import type { LedgerRow } from "../../src/ledger/row.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";
import { PostgresServer, postgresServerAvailable } from "../helpers/postgres-server.js";

export function ledgerRow(fields: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id: randomUUID(),
    requestId: "req-1",
    time: new Date("2026-01-01T10:00:00Z"),
    keyName: "team-a",
    keyId: "sha256:0123456789ab",
    modelAsked: "m1",
    modelServed: "m1",
    backend: "b1",
    protocol: "openai",
    route: "chat",
    status: 200,
    errorCode: null,
    attempts: 1,
    latencyMs: 12.5,
    ttfbMs: 3.25,
    inputTokens: 10,
    outputTokens: 20,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: null,
    sessionKey: null,
    promptText: null,
    completionText: null,
    ...fields,
  };
}

export interface DatabaseUnderTest {
  readonly name: "embedded" | "server";
  /** Opens a database (a PGlite started from the run's migrated snapshot, or the test's Postgres server). */
  open(): Promise<LedgerDatabase>;
  /** The server, for outage tests; undefined for the embedded database. */
  server: PostgresServer | undefined;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

/** The embedded database always; the Postgres server where the binaries are (always under CI). */
export function databasesUnderTest(): DatabaseUnderTest[] {
  let dir: string | undefined;
  let opened = 0;
  const embedded: DatabaseUnderTest = {
    name: "embedded",
    server: undefined,
    open: async () => {
      dir ??= await mkdtemp(join(tmpdir(), "switchyard-ledger-db-"));
      return openLedgerDatabase({ dir: await seededLedgerDir(join(dir, `db-${++opened}`)) });
    },
    setUp: async () => {},
    tearDown: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
  if (!postgresServerAvailable()) return [embedded];
  const server: DatabaseUnderTest = {
    name: "server",
    server: undefined,
    open: () => openLedgerDatabase({ url: server.server!.url }),
    setUp: async () => {
      server.server = await PostgresServer.create();
    },
    tearDown: async () => {
      await server.server?.destroy();
    },
  };
  return [embedded, server];
}
