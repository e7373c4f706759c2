/**
 * Runtime keys and budgets across two gateway replicas sharing a real `redis-server`: a key made
 * on one works on the other at once, a revocation reaches both, an expired key is a 401 and bad
 * admin input a 400 on either, and requests racing one budget through both replicas never spend
 * past it, with the spend equal to the sum of what the answers say they used.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { eventually } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace, startReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable();
let redis: RedisServer;
let config: ReturnType<typeof writeTempConfig>;
let replicaA: string;
let replicaB: string;

interface Answer {
  error: { code: string; message: string; param: string | null };
  id: string;
  key: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  spend: { budgets: { spent: number }[] }[];
}

afterAll(async () => {
  await stopAll();
  await redis?.stop();
  config?.remove();
});

async function call(base: string, method: string, path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

const chatBody = (maxTokens: number) => ({
  model: "mock-model",
  max_tokens: maxTokens,
  messages: [{ role: "user", content: "hello" }],
});

describe.runIf(available)("runtime keys and budgets across replicas sharing Redis", () => {
  beforeAll(async () => {
    redis = await startRedisServer();
    // The delay keeps a burst's requests in flight together, so their reservations race.
    const mock = await startCli([
      "mock",
      "--port",
      "0",
      "--id",
      "m",
      "--models",
      "mock-model",
      "--first-token-delay-ms",
      "300",
    ]);
    config = writeTempConfig({
      backends: [{ name: "m", url: mock.ready[0]!.url, models: ["mock-model"] }],
      // A token costs a micro-dollar either way.
      prices: { "mock-model": { input: 1, output: 1 } },
    });
    const namespace = randomNamespace();
    const replicas = await Promise.all(
      [1, 2].map(() => startReplica(redis.url, namespace, ["--config", config.path])),
    );
    [replicaA, replicaB] = replicas.map((replica) => replica.ready[0]!.url) as [string, string];
  });

  it("lets a key made on one replica work on the other at once, and a revocation reach both", async () => {
    const created = await call(replicaA, "POST", "/admin/keys", { name: "shared" });
    expect(created.status).toBe(201);
    const key = created.body.key;
    expect((await call(replicaB, "POST", "/v1/chat/completions", chatBody(8), key)).status).toBe(200);
    expect((await call(replicaA, "POST", "/v1/chat/completions", chatBody(8), key)).status).toBe(200);
    expect((await call(replicaB, "DELETE", `/admin/keys/${created.body.id}`)).status).toBe(200);
    // Revocation is announced over pub/sub: it must hold everywhere within a second.
    await eventually(async () => {
      const [a, b] = await Promise.all(
        [replicaA, replicaB].map((base) => call(base, "POST", "/v1/chat/completions", chatBody(8), key)),
      );
      return a?.status === 401 && b?.status === 401;
    }, 1_000);
  });

  it("refuses an expired key with 401 and bad admin input with 400 naming the field, on either replica", async () => {
    const created = await call(replicaA, "POST", "/admin/keys", {
      name: "old",
      expires_at: "2020-01-01T00:00:00Z",
    });
    const refused = await call(replicaB, "POST", "/v1/chat/completions", chatBody(8), created.body.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("expired_api_key");
    const bad = await call(replicaB, "POST", "/admin/keys", { name: "x", tpm: "lots" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("tpm");
  });

  it("never lets racing requests through both replicas spend past a budget", async () => {
    const limitUsd = 0.005; // 5000 micro-dollars; each request reserves about 1040
    const created = await call(replicaA, "POST", "/admin/keys", {
      name: "racing",
      budgets: [{ usd: limitUsd, period: "day" }],
    });
    const key = created.body.key;
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        call(index % 2 === 0 ? replicaA : replicaB, "POST", "/v1/chat/completions", chatBody(1000), key),
      ),
    );
    const admitted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(admitted.length + refused.length).toBe(answers.length);
    expect(admitted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.body.error.code).toBe("budget_exceeded");
    const used = admitted.reduce(
      (sum, answer) => sum + answer.body.usage.prompt_tokens + answer.body.usage.completion_tokens,
      0,
    );
    // Settled, the budget holds exactly what the answers used (a token is a micro-dollar).
    let spent = -1;
    await eventually(async () => {
      spent =
        (await call(replicaB, "GET", `/admin/keys/${created.body.id}`)).body.spend[0]?.budgets[0]?.spent ??
        -1;
      return Math.round(spent * 1e6) === used;
    });
    expect(Math.round(spent * 1e6)).toBe(used);
    expect(spent).toBeLessThanOrEqual(limitUsd);
  });
});
