/**
 * The ledger and the budgets price a request the same way: after requests with cached prompt
 * tokens through a runtime key with a budget, the ledger's cost for the key equals the spend the
 * budget enforced (to the micro-dollar each settlement rounds up to).
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";

const ADMIN = "admin-token-for-agreement";
const REQUESTS = 12;

function answer(response: ServerResponse, index: number): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      id: `chatcmpl-${index}`,
      object: "chat.completion",
      created: 1,
      model: "priced-model",
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 1_000 + index * 37,
        completion_tokens: 200 + index,
        total_tokens: 1_200 + index * 38,
        prompt_tokens_details: { cached_tokens: 400 + index },
      },
    }),
  );
}

/** Polls `read` until it answers without throwing, for up to 15 s. */
async function settled<T>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

let upstream: FakeUpstream;
let gateway: Gateway;
let base: string;
let dir: string;

beforeAll(async () => {
  let served = 0;
  upstream = await startFakeUpstream((request, response) => {
    if (request.method === "GET") {
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ object: "list", data: [{ id: "priced-model" }] }));
    }
    answer(response, served++);
  });
  dir = await mkdtemp(join(tmpdir(), "switchyard-agreement-"));
  const config = gatewayConfigSchema.parse({
    host: "127.0.0.1",
    port: 0,
    admin_token: ADMIN,
    health_interval: 3600,
    ledger: true,
    ledger_dir: await seededLedgerDir(join(dir, "ledger")),
    prices: { "priced-model": { input: 3, output: 15, cached_input: 0.3 } },
    backends: [{ name: "b1", url: upstream.url, models: ["priced-model"] }],
  });
  gateway = buildGateway(config, pino({ level: "silent" }));
  base = await gateway.start();
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

describe("the ledger and the budgets", () => {
  it("agree on what a key spent", async () => {
    const created = await fetch(`${base}/admin/keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "team-a", budgets: [{ usd: 100, period: "day" }] }),
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    for (let i = 0; i < REQUESTS; i++) {
      const response = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: "priced-model",
          max_tokens: 500,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      expect(response.status).toBe(200);
      await response.json();
    }
    const expected = Array.from({ length: REQUESTS }, (_, index) => {
      const input = 1_000 + index * 37;
      const cached = 400 + index;
      return ((input - cached) * 3 + cached * 0.3 + (200 + index) * 15) / 1e6;
    }).reduce((sum, cost) => sum + cost, 0);

    const ledgerCost = await settled(async () => {
      const usage = await fetch(`${base}/admin/usage?group_by=key`, { headers: admin });
      const body = (await usage.json()) as { data: { key: string; requests: number; cost_usd: number }[] };
      const row = body.data.find((entry) => entry.key === "team-a");
      if (!row || row.requests < REQUESTS) throw new Error("ledger not written yet");
      return row.cost_usd;
    });
    const spent = await settled(async () => {
      const view = await fetch(`${base}/admin/keys/${id}`, { headers: admin });
      const body = (await view.json()) as { spend: { scope: string; budgets: { spent: number }[] }[] };
      const value = body.spend.find((entry) => entry.scope === "key")?.budgets[0]?.spent ?? 0;
      if (value < expected - 1e-6) throw new Error("not settled yet");
      return value;
    });
    expect(ledgerCost).toBeCloseTo(expected, 9);
    // Each settlement rounds up to a micro-dollar, so the budget may hold up to one more per request.
    expect(spent - ledgerCost).toBeGreaterThanOrEqual(-1e-9);
    expect(spent - ledgerCost).toBeLessThanOrEqual(REQUESTS * 1e-6);
  });
});
