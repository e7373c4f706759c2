/**
 * The ledger's query layer on each database (one started database per kind, shared by the tests
 * of this file: an embedded one takes seconds to create): migrations, the insert, the queries and
 * their indexes, and the three descriptions of the table in step.
 */
import { getTableColumns, sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerDatabase } from "../../src/ledger/database.js";
import { databaseSink, INSERT_COLUMNS } from "../../src/ledger/insert.js";
import { migrate } from "../../src/ledger/migrate.js";
import { requestsPage, requestsSelect, usage, usageSelect } from "../../src/ledger/queries.js";
import { ledgerRequests } from "../../src/ledger/schema.js";
import { databasesUnderTest, ledgerRow } from "./fixtures.js";

describe.each(databasesUnderTest())("the ledger on the $name database", (under) => {
  let database: LedgerDatabase;

  beforeAll(async () => {
    await under.setUp();
    database = await under.open();
    await migrate(database.db);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await under.tearDown();
  });

  it("migrates once: a second run (another replica starting) applies nothing", async () => {
    expect(await migrate(database.db)).toEqual([]);
    const versions = await database.db.execute<{ version: number }>(
      sql.raw("SELECT version FROM ledger_migrations"),
    );
    expect(versions.rows.map((row) => Number(row.version))).toEqual([1]);
  });

  // The three descriptions of the table agree: the migrations' SQL (what the database has), the
  // drizzle schema (what queries read) and the insert's columns (what the writer writes).
  it("has the same columns in the migrations, the drizzle table and the insert", async () => {
    const result = await database.db.execute<{ column_name: string; is_nullable: string }>(
      sql.raw(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'ledger_requests' AND table_schema = current_schema() ORDER BY ordinal_position",
      ),
    );
    const migrated = result.rows.map((row) => row.column_name);
    const drizzle = Object.values(getTableColumns(ledgerRequests));
    expect(drizzle.map((column) => column.name)).toEqual(migrated);
    expect(INSERT_COLUMNS).toEqual(migrated);
    const nullable = new Map(result.rows.map((row) => [row.column_name, row.is_nullable === "YES"]));
    for (const column of drizzle) expect(!column.notNull, column.name).toBe(nullable.get(column.name));
  });

  it("has the same indexes in the migrations and the drizzle table", async () => {
    const result = await database.db.execute<{ indexname: string }>(
      sql.raw(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_requests' AND schemaname = current_schema() AND indexname <> 'ledger_requests_pkey'",
      ),
    );
    const migrated = result.rows.map((row) => row.indexname).sort();
    const declared = getTableConfig(ledgerRequests)
      .indexes.map((index) => index.config.name!)
      .sort();
    expect(declared).toEqual(migrated);
  });

  it("stores a row with every field, and a retried batch does not double it", async () => {
    // Text that an array literal must escape: quotes, commas, braces, backslashes, the word NULL.
    const row = ledgerRow({
      requestId: "stored",
      costUsd: 0.00123,
      sessionKey: "NULL",
      errorCode: null,
      promptText: '{"messages":[{"content":"a, \\"b\\" {c} \\\\ ü\\n"}]}',
      completionText: "",
      cachedTokens: null,
    });
    const sink = databaseSink(database.db);
    await sink.insert([row]);
    await sink.insert([row]);
    const page = await requestsPage(database.db, { limit: 10, key: "team-a", model: "m1" });
    const found = page.rows.filter((stored) => stored.requestId === "stored");
    expect(found).toEqual([row]);
  });

  it("sums usage by key, model and backend per hour and day", async () => {
    const at = (hour: number) => new Date(`2026-02-01T${String(hour).padStart(2, "0")}:30:00Z`);
    await databaseSink(database.db).insert([
      ledgerRow({ time: at(1), keyName: "k1", modelServed: "ma", backend: "b1", costUsd: 0.5 }),
      ledgerRow({ time: at(1), keyName: "k1", modelServed: "mb", backend: "b2", status: 502, costUsd: null }),
      ledgerRow({ time: at(2), keyName: "k2", modelServed: "ma", backend: "b1", costUsd: 0.25 }),
    ]);
    const window = { from: new Date("2026-02-01T00:00:00Z"), to: new Date("2026-02-02T00:00:00Z") };
    expect(await usage(database.db, { ...window, groupBy: "key", bucket: "day" })).toEqual([
      {
        group: "k1",
        bucket: "2026-02-01T00:00:00.000Z",
        requests: 2,
        errors: 1,
        inputTokens: 20,
        outputTokens: 40,
        cachedTokens: 0,
        reasoningTokens: 0,
        costUsd: 0.5,
      },
      expect.objectContaining({ group: "k2", requests: 1, costUsd: 0.25 }),
    ]);
    const byModel = await usage(database.db, { ...window, groupBy: "model", bucket: "hour" });
    expect(byModel.map((row) => [row.bucket, row.group, row.requests])).toEqual([
      ["2026-02-01T01:00:00.000Z", "ma", 1],
      ["2026-02-01T01:00:00.000Z", "mb", 1],
      ["2026-02-01T02:00:00.000Z", "ma", 1],
    ]);
    const byBackend = await usage(database.db, { ...window, groupBy: "backend", bucket: "day" });
    expect(byBackend.map((row) => [row.group, row.requests, row.costUsd])).toEqual([
      ["b1", 2, 0.75],
      ["b2", 1, null],
    ]);
  });

  it("pages the request log newest first by keyset, same-time rows included, with filters", async () => {
    const time = new Date("2026-03-01T00:00:00Z");
    const rows = Array.from({ length: 7 }, (_, index) =>
      ledgerRow({
        keyName: "pager",
        time: new Date(time.getTime() + (index % 3) * 1000),
        status: index === 4 ? 429 : 200,
      }),
    );
    await databaseSink(database.db).insert(rows);
    const seen: string[] = [];
    let after: Awaited<ReturnType<typeof requestsPage>>["next"];
    let pages = 0;
    do {
      const page = await requestsPage(database.db, { key: "pager", limit: 3, after });
      seen.push(...page.rows.map((row) => row.id));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const expected = [...rows]
      .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1))
      .map((row) => row.id);
    expect(seen).toEqual(expected);
    const limited = await requestsPage(database.db, { key: "pager", status: 429, limit: 10 });
    expect(limited.rows.map((row) => row.status)).toEqual([429]);
    const windowed = await requestsPage(database.db, {
      key: "pager",
      from: new Date(time.getTime() + 1000),
      to: new Date(time.getTime() + 2000),
      limit: 10,
    });
    expect(windowed.rows.every((row) => row.time.getTime() === time.getTime() + 1000)).toBe(true);
  });

  it("answers every query through an index (EXPLAIN)", async () => {
    await database.db.execute(
      sql.raw(`INSERT INTO ledger_requests (id, request_id, time, key_name, model_served, backend, protocol, route, status, attempts, latency_ms)
        SELECT gen_random_uuid(), 'bulk-' || n, timestamptz '2025-01-01' + n * interval '1 minute',
          'key-' || (n % 50), 'model-' || (n % 20), 'backend-' || (n % 10), 'openai', 'chat', 200, 1, 1.0
        FROM generate_series(1, 5000) AS n`),
    );
    await database.db.execute(sql.raw("ANALYZE ledger_requests"));
    const from = new Date("2025-01-02T00:00:00Z");
    const to = new Date("2025-01-03T00:00:00Z");
    const cases = [
      ["ledger_requests_time_idx", usageSelect(database.db, { groupBy: "key", bucket: "hour", from, to })],
      ["ledger_requests_time_idx", requestsSelect(database.db, { limit: 50, from, to })],
      [
        "ledger_requests_time_idx",
        requestsSelect(database.db, {
          limit: 50,
          after: { time: from, id: "00000000-0000-0000-0000-000000000000" },
        }),
      ],
      ["ledger_requests_key_time_idx", requestsSelect(database.db, { limit: 50, key: "key-7" })],
      ["ledger_requests_model_time_idx", requestsSelect(database.db, { limit: 50, model: "model-3" })],
    ] as const;
    for (const [index, query] of cases) {
      const plan = await database.db.transaction(async (tx) => {
        // Small tables make a sequential scan the cheaper plan: this asks which index the planner reaches for.
        await tx.execute(sql.raw("SET LOCAL enable_seqscan = off"));
        const explained = await tx.execute<{ "QUERY PLAN": string }>(sql`EXPLAIN ${query}`);
        return explained.rows.map((row) => row["QUERY PLAN"]).join("\n");
      });
      expect(plan, plan).toContain(index);
      expect(plan, plan).toContain("Index Cond");
      expect(plan, plan).not.toContain("Seq Scan");
    }
  });
});
