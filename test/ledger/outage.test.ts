/**
 * The ledger's Postgres server goes away under load: requests keep being answered, their rows wait
 * in the writer's buffer, and once the server is back every one of them is written, none twice.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import { PostgresServer, postgresServerAvailable } from "../helpers/postgres-server.js";

describe.runIf(postgresServerAvailable())("the ledger while its Postgres server is down", () => {
  let server: PostgresServer;
  let mock: RunningMock;
  let gateway: Gateway;
  let base: string;

  beforeAll(async () => {
    server = await PostgresServer.create();
    mock = await startMock({ port: 0, logLevel: "silent", models: ["m1"] });
    gateway = buildGateway(
      gatewayConfigSchema.parse({
        port: 0,
        log_level: "silent",
        health_interval: 0,
        load_interval: 0,
        database_url: server.url,
        backends: [{ name: "b1", url: mock.url, models: ["m1"] }],
      }),
    );
    base = await gateway.start();
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await mock?.close();
    await server?.destroy();
  });

  /** `count` requests, `concurrency` at a time; resolves to their statuses. */
  async function load(count: number, concurrency: number, tag: string): Promise<number[]> {
    const statuses: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const answer = await fetch(`${base}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-session-id": `${tag}-${index}` },
          body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: `${tag} ${index}` }] }),
        });
        await answer.text();
        statuses.push(answer.status);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return statuses;
  }

  async function rowsTagged(tag: string): Promise<{ rows: number; distinct: number }> {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const result = await client.query<{ rows: string; distinct: string }>(
        "SELECT count(*) AS rows, count(DISTINCT session_key) AS distinct FROM ledger_requests WHERE session_key LIKE $1",
        [`${tag}-%`],
      );
      return { rows: Number(result.rows[0]!.rows), distinct: Number(result.rows[0]!.distinct) };
    } finally {
      await client.end();
    }
  }

  /** Flushes until the buffer is empty: the first tries after a restart may meet connections the restart cut. */
  async function drained(): Promise<void> {
    const writer = gateway.context.ledger!.writer;
    for (let attempt = 0; attempt < 100 && writer.buffered > 0; attempt++) {
      await writer.flush();
      if (writer.buffered > 0) await sleep(100);
    }
    expect(writer.buffered).toBe(0);
  }

  it("answers every request while the database is away and writes their rows once it is back", async () => {
    expect((await load(20, 4, "before")).every((status) => status === 200)).toBe(true);
    await drained();
    expect(await rowsTagged("before")).toEqual({ rows: 20, distinct: 20 });

    await server.stop();
    const during = await load(200, 8, "during");
    expect(during.filter((status) => status !== 200)).toEqual([]);
    await gateway.context.ledger!.writer.flush();
    expect(gateway.context.ledger!.writer.buffered).toBe(200);

    await server.start();
    await drained();
    expect(await rowsTagged("during")).toEqual({ rows: 200, distinct: 200 });
    expect(gateway.context.ledger!.writer.dropped).toBe(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_ledger_rows_written_total 220$/m);
  }, 120_000);
});
