/**
 * Two gateway replicas share budgets and runtime keys through a real `redis-server` (with an
 * append-only file, as the README asks) and one ledger on a real Postgres server. Under steady load
 * the database is stopped and started again, then Redis: every request is answered throughout,
 * the ledger ends with exactly one row per answered request (none lost, none doubled: the same
 * count, distinct ids, and a cost sum equal to what the answers used), and the budget's spend is
 * sane after Redis returns, then exact again.
 *
 * What happens to reservations in flight when Redis goes away (src/state/budget-store/redis.ts): a
 * request reserved in Redis whose settlement cannot reach it keeps its whole reservation counted (the
 * safe side); a request admitted while Redis is away reserves in its replica's memory only, so
 * Redis never counts it. The spend after the outage is thus at most what was used plus the
 * reservations in flight, and from then on settles exactly again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually, getJson } from "../helpers/http.js";
import { PostgresServer, postgresServerAvailable } from "../helpers/postgres-server.js";
import { freePort, RedisServer, redisServerAvailable } from "../helpers/redis-server.js";
import { randomNamespace, startReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable() && postgresServerAvailable();
/** Clients per replica. */
const CLIENTS = 3;
const MAX_TOKENS = 16;
/** Answers to wait for in each stage of the outages. */
const STAGE = 20;
/** Starts wait this long: under a full suite the host is busy starting embedded databases too. */
const START_TIMEOUT_MS = 60_000;

let redis: RedisServer;
let postgres: PostgresServer;
let config: ReturnType<typeof writeTempConfig>;
let replicas: CliProcess[];
let redisDir: string;

const url = (process: CliProcess) => process.ready[0]!.url;

interface Answered {
  status: number;
  tag: string;
  /** Tokens the answer says it used; a token costs a micro-dollar. */
  used: number;
  prompt: number;
}

async function ask(base: string, key: string, tag: string): Promise<Answered> {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-session-id": tag },
    body: JSON.stringify({
      model: "mock-model",
      max_tokens: MAX_TOKENS,
      messages: [{ role: "user", content: tag }],
    }),
  });
  const body = (await response.json()) as { usage?: { prompt_tokens: number; completion_tokens: number } };
  const prompt = body.usage?.prompt_tokens ?? 0;
  return { status: response.status, tag, used: prompt + (body.usage?.completion_tokens ?? 0), prompt };
}

async function ledgerOf(prefix: string): Promise<{ rows: number; distinct: number; costMicros: number }> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const result = await client.query<{ rows: string; distinct: string; cost: string | null }>(
      "SELECT count(*) AS rows, count(DISTINCT session_key) AS distinct, sum(cost_usd) AS cost FROM ledger_requests WHERE session_key LIKE $1",
      [`${prefix}%`],
    );
    const row = result.rows[0]!;
    return {
      rows: Number(row.rows),
      distinct: Number(row.distinct),
      costMicros: Math.round(Number(row.cost ?? 0) * 1e6),
    };
  } finally {
    await client.end();
  }
}

async function spentMicros(keyId: string): Promise<number> {
  const { body } = await getJson<{ spend: { budgets: { spent: number }[] }[] }>(
    `${url(replicas[1]!)}/admin/keys/${keyId}`,
  );
  return Math.round((body.spend[0]?.budgets[0]?.spent ?? Number.NaN) * 1e6);
}

const stateOf = async (gateway: CliProcess) =>
  (await getJson<{ state: string }>(`${url(gateway)}/health`)).body.state;

describe.runIf(available)("budgets and the ledger through a database and a Redis restart", () => {
  beforeAll(async () => {
    redisDir = mkdtempSync(join(tmpdir(), "switchyard-redis-"));
    redis = new RedisServer(await freePort(), { dataDir: redisDir });
    await redis.start(START_TIMEOUT_MS);
    postgres = await PostgresServer.create(START_TIMEOUT_MS);
    // A short delay keeps requests in flight while each server goes away.
    const mock = await startCli([
      "mock",
      "--port",
      "0",
      "--id",
      "m",
      "--models",
      "mock-model",
      "--first-token-delay-ms",
      "30",
    ]);
    config = writeTempConfig({
      backends: [{ name: "m", url: url(mock), models: ["mock-model"] }],
      prices: { "mock-model": { input: 1, output: 1 } },
    });
    const namespace = randomNamespace();
    replicas = await Promise.all(
      [0, 1].map(() =>
        startReplica(redis.url, namespace, ["--config", config.path, "--database-url", postgres.url]),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    await redis?.stop();
    await postgres?.destroy();
    config?.remove();
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  });

  it("answers every request, writes each row once, and keeps the spend sane then exact", async () => {
    const created = await (
      await fetch(`${url(replicas[0]!)}/admin/keys`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "restarts", budgets: [{ usd: 1000, period: "day" }] }),
      })
    ).json();
    const { key, id } = created as { key: string; id: string };

    const answers: Answered[] = [];
    // The answers while Redis was away (give or take the requests in flight at either end).
    let outageFrom = 0;
    let outageTo = 0;
    let loading = true;
    let next = 0;
    const client = async (gateway: CliProcess) => {
      while (loading) answers.push(await ask(url(gateway), key, `load-${next++}`));
    };
    const clients = replicas.flatMap((gateway) => Array.from({ length: CLIENTS }, () => client(gateway)));
    const served = (more: number) => {
      const target = answers.length + more;
      return eventually(() => answers.length >= target, 60_000);
    };
    try {
      await served(STAGE);
      await postgres.stop();
      await served(STAGE);
      await postgres.start(START_TIMEOUT_MS);
      await served(STAGE);
      outageFrom = answers.length;
      await redis.stop();
      await eventually(async () => (await Promise.all(replicas.map(stateOf))).every((s) => s === "degraded"));
      await served(STAGE);
      await redis.start(START_TIMEOUT_MS);
      await eventually(
        async () => (await Promise.all(replicas.map(stateOf))).every((s) => s === "redis"),
        15_000,
      );
      outageTo = answers.length;
      await served(STAGE);
    } finally {
      loading = false;
      await Promise.all(clients);
    }
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);

    // Every answered request has its row once the replicas' buffers drain into the database.
    const used = answers.reduce((sum, answer) => sum + answer.used, 0);
    let ledger = await ledgerOf("load-");
    await eventually(async () => {
      ledger = await ledgerOf("load-");
      return ledger.rows >= answers.length;
    }, 30_000);
    expect(ledger).toEqual({ rows: answers.length, distinct: answers.length, costMicros: used });

    // Sane: never above what was used plus the reservations in flight when Redis went away; below
    // it by what was admitted while Redis was away (counted in each replica's memory only).
    const worst = Math.max(...answers.map((answer) => answer.prompt)) + MAX_TOKENS;
    const inFlight = 2 * CLIENTS * worst;
    const usedInOutage = answers.slice(outageFrom, outageTo).reduce((sum, answer) => sum + answer.used, 0);
    const spent = await spentMicros(id);
    expect(spent).toBeLessThanOrEqual(used + inFlight);
    expect(spent).toBeGreaterThanOrEqual(Math.max(0, used - usedInOutage - 2 * inFlight));

    // Exact again: what follows adds to the spend exactly what the ledger records for it.
    const after: Answered[] = [];
    for (let index = 0; index < 6; index++)
      after.push(await ask(url(replicas[index % 2]!), key, `after-${index}`));
    expect(after.every((answer) => answer.status === 200)).toBe(true);
    const afterUsed = after.reduce((sum, answer) => sum + answer.used, 0);
    await eventually(async () => (await spentMicros(id)) - spent === afterUsed, 5_000);
    await eventually(async () => (await ledgerOf("after-")).rows === after.length, 30_000);
    expect(await ledgerOf("after-")).toEqual({ rows: 6, distinct: 6, costMicros: afterUsed });
  }, 240_000);
});
