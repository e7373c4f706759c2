/**
 * `switchyard gateway --workers 2` without Redis: the workers share caps, circuits, runtime
 * registrations, runtime keys, budgets and the embedded request ledger through the primary over IPC. The primary hands each new connection to the next
 * worker in turn, so requests on fresh connections reach both workers, while a keep-alive
 * connection stays with one; a response's `x-request-id` starts with its worker's own prefix,
 * which tells them apart.
 */
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually } from "../helpers/http.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const configs: { remove(): void }[] = [];
const agents: Agent[] = [];

afterAll(async () => {
  await stopAll();
  for (const config of configs) config.remove();
  for (const agent of agents) agent.destroy();
});

const url = (process: CliProcess) => process.ready[0]!.url;
const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);

function startWorkers(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000) {
  return startCli(["gateway", "--workers", "2", "--port", "0", "--log-level", "warn", ...args], {
    env,
    timeoutMs,
  });
}

interface Answer {
  status: number;
  /** The answering worker's request-id prefix (proxied and error responses carry one). */
  worker: string | undefined;
  routedTo: string | undefined;
  requestId: string | undefined;
  body: unknown;
}

/**
 * One request; with `agent` false it gets a connection of its own (so the next worker in turn
 * answers it), with a keep-alive agent it stays on that agent's connection (and worker).
 */
function send(
  base: string,
  path: string,
  body?: unknown,
  agent: Agent | false = false,
  options: { method?: string; key?: string } = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = payload === undefined ? {} : { "content-type": "application/json" };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      new URL(path, base),
      { method: options.method ?? (payload === undefined ? "GET" : "POST"), agent, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const requestId = response.headers["x-request-id"];
          const routedTo = response.headers["x-routed-node"];
          resolve({
            status: response.statusCode ?? 0,
            worker:
              typeof requestId === "string" ? requestId.slice(0, requestId.lastIndexOf("-")) : undefined,
            routedTo: typeof routedTo === "string" ? routedTo : undefined,
            requestId: typeof requestId === "string" ? requestId : undefined,
            body: text ? JSON.parse(text) : undefined,
          });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

const chatBody = (model: string) => ({ model, messages: [{ role: "user", content: "hello" }] });
const chat = (base: string, model: string, agent: Agent | false = false) =>
  send(base, "/v1/chat/completions", chatBody(model), agent);

/** A connection that stays open, so every request on it reaches the same worker. */
function pinnedConnection(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

interface MockStats {
  requests: { chat: number };
  max_inflight_seen: number;
}
const mockStats = async (mock: CliProcess) => (await send(url(mock), "/mock/stats")).body as MockStats;

describe("switchyard gateway --workers 2 without Redis", () => {
  it("holds a backend's max_connections across both workers under concurrent load", async () => {
    const slow = await startMock("slow", "--first-token-delay-ms", "150");
    const config = writeTempConfig({ backends: [{ name: "slow", url: url(slow), max_connections: 2 }] });
    configs.push(config);
    const gateway = await startWorkers(["--config", config.path]);

    for (let index = 0; index < 4; index++) {
      expect(((await send(url(gateway), "/health")).body as { state: string }).state).toBe("ipc");
    }
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 40 }, () => chat(url(gateway), "mock-model")));
    const elapsed = performance.now() - started;
    const codes = answers.map((answer) => answer.status);
    for (const code of codes) expect([200, 429]).toContain(code);
    expect(codes.filter((code) => code === 200).length).toBeGreaterThanOrEqual(2);
    expect(new Set(answers.map((answer) => answer.worker)).size).toBe(2);
    const stats = await mockStats(slow);
    expect(stats.max_inflight_seen).toBeLessThanOrEqual(2);
    expect(stats.max_inflight_seen).toBeGreaterThanOrEqual(1);
    for (let index = 0; index < 4; index++) {
      const { total_inflight } = (await send(url(gateway), "/status")).body as { total_inflight: number };
      expect(total_inflight).toBe(0);
    }
    console.info(
      `40 requests over 2 workers, shared cap 2: ${codes.filter((code) => code === 200).length} × 200 in ${Math.round(elapsed)} ms, max inflight ${stats.max_inflight_seen}`,
    );
  }, 40_000);

  it("serves a backend registered through one worker on fresh connections to both", async () => {
    const [base, extra] = await Promise.all([
      startMock("base", "--models", "base-model"),
      startMock("extra", "--models", "extra-model"),
    ]);
    const gateway = await startWorkers(["--backend", `base=${url(base)}`]);
    const pinned = pinnedConnection();
    const registering = (await chat(url(gateway), "base-model", pinned)).worker;
    expect(registering).toBeDefined();

    const registered = await send(
      url(gateway),
      "/backends/register",
      { name: "extra", url: url(extra), models: ["extra-model"] },
      pinned,
    );
    expect(registered.status).toBe(200);
    const servedBy = new Set<string | undefined>();
    await eventually(async () => {
      const answer = await chat(url(gateway), "extra-model");
      if (answer.status === 200) servedBy.add(answer.worker);
      return servedBy.size === 2;
    }, 10_000);
    expect(servedBy).toContain(registering);
    for (let index = 0; index < 6; index++) {
      const answer = await chat(url(gateway), "extra-model");
      expect(answer.status).toBe(200);
      expect(answer.routedTo).toBe("extra");
    }
  }, 40_000);

  it("opens on the other worker a circuit that failures on one worker opened", async () => {
    const [good, flaky] = await Promise.all([startMock("good"), startMock("flaky", "--fail-rate", "1")]);
    const gateway = await startWorkers(
      ["--backend", `good=${url(good)}`, "--backend", `flaky=${url(flaky)}`],
      {
        CIRCUIT_BREAKER_THRESHOLD: "3",
        CIRCUIT_BREAKER_TTL_SECS: "60",
        MAX_RETRIES: "1",
      },
    );

    // Every failure happens on one worker, through one kept-alive connection.
    const pinned = pinnedConnection();
    let failing: string | undefined;
    for (let index = 0; index < 10; index++) {
      const answer = await chat(url(gateway), "mock-model", pinned);
      expect(answer.status).toBe(200);
      failing ??= answer.worker;
      expect(answer.worker).toBe(failing);
    }
    const before = (await mockStats(flaky)).requests.chat;
    expect(before).toBeGreaterThanOrEqual(3);

    // The other worker never saw flaky fail, yet sends it nothing.
    const other = new Set<string | undefined>();
    for (let index = 0; index < 40 && other.size < 3; index++) {
      const answer = await chat(url(gateway), "mock-model");
      expect(answer.status).toBe(200);
      expect(answer.routedTo).toBe("good");
      if (answer.worker !== failing) other.add(`${answer.worker}#${index}`);
    }
    expect(other.size).toBe(3);
    expect((await mockStats(flaky)).requests.chat).toBe(before);
  }, 40_000);

  it("shares runtime keys and budgets: a key made through one worker works on both, racing requests never pass its budget, a revocation reaches both", async () => {
    // The delay keeps a burst's requests in flight together, so their reservations race.
    const mock = await startMock("m", "--models", "mock-model", "--first-token-delay-ms", "300");
    const config = writeTempConfig({
      backends: [{ name: "m", url: url(mock), models: ["mock-model"] }],
      // A token costs a micro-dollar either way.
      prices: { "mock-model": { input: 1, output: 1 } },
    });
    configs.push(config);
    const gateway = await startWorkers(["--config", config.path]);
    const base = url(gateway);
    const limitUsd = 0.005; // 5000 micro-dollars; each request reserves about 1040
    const created = await send(base, "/admin/keys", {
      name: "shared",
      budgets: [{ usd: limitUsd, period: "day" }],
    });
    expect(created.status).toBe(201);
    const { key, id } = created.body as { key: string; id: string };
    const withKey = (maxTokens: number) =>
      send(base, "/v1/chat/completions", { ...chatBody("mock-model"), max_tokens: maxTokens }, false, {
        key,
      });

    const first = await Promise.all([withKey(1), withKey(1)]);
    expect(first.map((answer) => answer.status)).toEqual([200, 200]);
    expect(new Set(first.map((answer) => answer.worker)).size).toBe(2);

    const answers = await Promise.all(Array.from({ length: 30 }, () => withKey(1000)));
    const admitted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(admitted.length + refused.length).toBe(answers.length);
    // The burst came through both workers; whichever reached the primary first got the budget.
    expect(new Set(answers.map((answer) => answer.worker)).size).toBe(2);
    expect(refused.length).toBeGreaterThan(0);
    type Usage = { usage: { prompt_tokens: number; completion_tokens: number } };
    const used = [...first, ...admitted].reduce((sum, answer) => {
      const { usage } = answer.body as Usage;
      return sum + usage.prompt_tokens + usage.completion_tokens;
    }, 0);
    // Settled, the one budget holds exactly what the answers of both workers used.
    let spent = -1;
    await eventually(async () => {
      const record = (await send(base, `/admin/keys/${id}`)).body as {
        spend: { budgets: { spent: number }[] }[];
      };
      spent = record.spend[0]?.budgets[0]?.spent ?? -1;
      return Math.round(spent * 1e6) === used;
    });
    expect(spent).toBeLessThanOrEqual(limitUsd);

    expect((await send(base, `/admin/keys/${id}`, undefined, false, { method: "DELETE" })).status).toBe(200);
    await eventually(async () => {
      const after = await Promise.all([withKey(1), withKey(1)]);
      return after.every((answer) => answer.status === 401);
    }, 1_000);
  }, 40_000);

  it("records every worker's requests in the one embedded ledger the primary holds", async () => {
    const mock = await startMock("m", "--models", "mock-model");
    const dir = await mkdtemp(join(tmpdir(), "switchyard-workers-ledger-"));
    configs.push({ remove: () => rmSync(dir, { recursive: true, force: true }) });
    const gateway = await startWorkers(
      ["--backend", `m=${url(mock)}`, "--ledger", "--ledger-dir", await seededLedgerDir(join(dir, "ledger"))],
      {},
      60_000,
    );
    const base = url(gateway);
    const answers = await Promise.all(Array.from({ length: 6 }, () => chat(base, "mock-model")));
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((answer) => answer.worker)).size).toBe(2);
    const ids = answers.map((answer) => answer.requestId);
    let logged: { request_id: string; status: number }[] = [];
    await eventually(async () => {
      logged = ((await send(base, "/admin/requests?limit=100")).body as { data: typeof logged }).data;
      return ids.every((id) => logged.some((row) => row.request_id === id));
    }, 10_000);
    expect(logged.filter((row) => ids.includes(row.request_id)).map((row) => row.status)).toEqual(
      Array(6).fill(200),
    );
  }, 90_000);
});
