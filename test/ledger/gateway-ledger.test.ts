/**
 * The ledger through a real gateway in front of mock backends, on the embedded database (in a data
 * directory) and on a Postgres server: one row per request with the fields the request had, JSON
 * and streamed, OpenAI and Anthropic, gateway-made errors included; the admin routes over them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";
import { databasesUnderTest } from "./fixtures.js";

const KEY = "sk-ledger-team";
const auth = { authorization: `Bearer ${KEY}` };

describe.each(databasesUnderTest())("the ledger of a gateway on the $name database", (under) => {
  let mock: RunningMock;
  let gateway: Gateway;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    await under.setUp();
    dir = await mkdtemp(join(tmpdir(), "switchyard-ledger-"));
    mock = await startMock({ port: 0, logLevel: "silent", models: ["m1"] });
    const ledgerDir = join(dir, "ledger");
    gateway = buildGateway(
      gatewayConfigSchema.parse({
        port: 0,
        log_level: "silent",
        health_interval: 0,
        load_interval: 0,
        ledger: true,
        ledger_dir: under.name === "embedded" ? await seededLedgerDir(ledgerDir) : ledgerDir,
        database_url: under.server?.url,
        ledger_keep_text: true,
        // USD per million tokens: a row's cost is its usage priced.
        prices: { m1: { input: 2, output: 10 } },
        client_keys: [{ name: "team", key: KEY }],
        backends: [{ name: "b1", url: mock.url, models: ["m1"] }],
      }),
    );
    base = await gateway.start();
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await mock?.close();
    await rm(dir, { recursive: true, force: true });
    await under.tearDown();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth, ...headers },
      body: JSON.stringify(body),
    });
  const admin = (path: string) => fetch(`${base}${path}`);
  const flushed = () => gateway.context.ledger!.writer.flush();

  it("records JSON and streamed requests of both protocols with their fields", async () => {
    const chat = await post(
      "/v1/chat/completions",
      { model: "m1", messages: [{ role: "user", content: "hello there" }] },
      { "x-session-id": "session-7" },
    );
    expect(chat.status).toBe(200);
    const chatId = chat.headers.get("x-request-id");
    await chat.text();
    const stream = await post("/v1/chat/completions", {
      model: "m1",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "stream it" }],
    });
    expect(stream.status).toBe(200);
    const streamId = stream.headers.get("x-request-id");
    await stream.text();
    const messages = await post(
      "/v1/messages",
      { model: "m1", max_tokens: 50, messages: [{ role: "user", content: "hi" }] },
      { "anthropic-version": "2023-06-01" },
    );
    expect(messages.status).toBe(200);
    const messagesId = messages.headers.get("x-request-id");
    await messages.text();
    // Anthropic from a chat backend: translated, so pumped rather than piped.
    const messagesStream = await post(
      "/v1/messages",
      { model: "m1", max_tokens: 50, stream: true, messages: [{ role: "user", content: "stream hi" }] },
      { "anthropic-version": "2023-06-01" },
    );
    const messagesStreamId = messagesStream.headers.get("x-request-id");
    const messagesStreamText = await messagesStream.text();
    const missing = await post("/v1/chat/completions", {
      model: "nope",
      messages: [{ role: "user", content: "anyone?" }],
    });
    expect(missing.status).toBe(404);
    const missingId = missing.headers.get("x-request-id");
    await missing.text();
    await flushed();

    const listed = await admin("/admin/requests?limit=100");
    expect(listed.status).toBe(200);
    const { data } = (await listed.json()) as { data: Record<string, unknown>[] };
    const byRequest = new Map(data.map((row) => [row.request_id, row]));
    expect(byRequest.get(chatId)).toMatchObject({
      key_name: "team",
      key_id: "team",
      model_asked: "m1",
      model_served: "m1",
      backend: "b1",
      protocol: "openai",
      route: "chat",
      status: 200,
      error_code: null,
      attempts: 1,
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      cost_usd: expect.any(Number),
      session_key: "session-7",
      prompt_text: expect.stringContaining("hello there"),
      completion_text: expect.stringContaining('"choices"'),
    });
    const chatRow = byRequest.get(chatId)!;
    expect(chatRow.latency_ms as number).toBeGreaterThanOrEqual(chatRow.ttfb_ms as number);
    expect(chatRow.input_tokens as number).toBeGreaterThan(0);
    const priced = ((chatRow.input_tokens as number) * 2 + (chatRow.output_tokens as number) * 10) / 1e6;
    expect(chatRow.cost_usd as number).toBeCloseTo(priced, 10);
    expect(byRequest.get(streamId)).toMatchObject({
      route: "chat",
      status: 200,
      output_tokens: expect.any(Number),
      // The stream's events as the client got them, [DONE] included.
      completion_text: expect.stringMatching(/^data: .*"choices"[\s\S]*data: \[DONE\]\n\n$/),
    });
    expect(byRequest.get(streamId)!.output_tokens as number).toBeGreaterThan(0);
    expect(byRequest.get(messagesId)).toMatchObject({
      protocol: "anthropic",
      route: "messages",
      status: 200,
    });
    expect(byRequest.get(messagesId)!.input_tokens as number).toBeGreaterThan(0);
    expect(byRequest.get(messagesStreamId)).toMatchObject({
      protocol: "anthropic",
      status: 200,
      completion_text: messagesStreamText,
    });
    expect(byRequest.get(missingId)).toMatchObject({
      status: 404,
      error_code: "model_not_found",
      model_asked: "nope",
      model_served: null,
      backend: null,
      attempts: 0,
      cost_usd: null,
    });
    // Never the secret, in any field.
    expect(JSON.stringify(data)).not.toContain(KEY);
  });

  it("sums usage by key, model and backend", async () => {
    const byKey = await admin("/admin/usage?group_by=key&bucket=hour");
    expect(byKey.status).toBe(200);
    const body = (await byKey.json()) as { data: Record<string, unknown>[]; group_by: string };
    expect(body.group_by).toBe("key");
    const team = body.data.filter((row) => row.key === "team");
    expect(team.reduce((sum, row) => sum + (row.requests as number), 0)).toBeGreaterThanOrEqual(4);
    const byModel = (await (await admin("/admin/usage?group_by=model")).json()) as {
      data: Record<string, unknown>[];
    };
    expect(byModel.data.some((row) => row.model === "m1")).toBe(true);
    const byBackend = (await (await admin("/admin/usage?group_by=backend&bucket=day")).json()) as {
      data: Record<string, unknown>[];
    };
    expect(byBackend.data.some((row) => row.backend === "b1")).toBe(true);
  });

  it("pages the request log by cursor, filters it, and exports it as CSV and JSON lines", async () => {
    for (let index = 0; index < 5; index++) {
      const answer = await post("/v1/chat/completions", {
        model: "m1",
        messages: [{ role: "user", content: `page ${index}` }],
      });
      await answer.text();
    }
    await flushed();
    const all = (await (await admin("/admin/requests?limit=1000")).json()) as { data: { id: string }[] };
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/admin/requests?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await (await admin(url)).json()) as {
        data: { id: string }[];
        next_cursor: string | null;
      };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((row) => row.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.data.map((row) => row.id));

    const errors = (await (await admin("/admin/requests?status=404&key=team")).json()) as {
      data: { status: number }[];
    };
    expect(errors.data.map((row) => row.status)).toEqual([404]);

    const csv = await admin("/admin/requests/export?format=csv&model=m1");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toMatch(/^id,request_id,time,key_name,/);
    expect(lines.length - 1).toBe(all.data.length - 1);
    const json = await admin("/admin/requests/export?format=json");
    const rows = (await json.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string });
    expect(rows.map((row) => row.id)).toEqual(all.data.map((row) => row.id));
  });

  it.each([
    ["/admin/usage?group_by=team", "group_by"],
    ["/admin/usage?bucket=minute", "bucket"],
    ["/admin/usage?from=yesterday", "from"],
    ["/admin/usage?from=2026-01-02&to=2026-01-01", "from"],
    ["/admin/usage?bucket=hour&from=2025-01-01&to=2026-01-01", "from"],
    ["/admin/requests?limit=0", "limit"],
    ["/admin/requests?limit=5000", "limit"],
    ["/admin/requests?status=abc", "status"],
    ["/admin/requests?cursor=not-a-cursor", "cursor"],
    ["/admin/requests?model=m1&model=m2", "model"],
    ["/admin/requests?modle=m1", "modle"],
    ["/admin/requests/export?format=xml", "format"],
  ])("answers %s with a 400 naming %s", async (path, param) => {
    const answer = await admin(path);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: { code: "invalid_request", param } });
  });

  it("counts the rows it wrote in /metrics", async () => {
    await flushed();
    const metrics = await (await admin("/metrics")).text();
    const written = /^switchyard_ledger_rows_written_total (\d+)/m.exec(metrics);
    expect(Number(written?.[1])).toBeGreaterThanOrEqual(10);
    expect(metrics).toMatch(/^switchyard_ledger_rows_dropped_total 0$/m);
  });
});

describe("a gateway without the ledger", () => {
  it("answers its ledger routes with 404 ledger_off", async () => {
    const gateway = buildGateway(
      gatewayConfigSchema.parse({ port: 0, log_level: "silent", health_interval: 0, load_interval: 0 }),
    );
    const base = await gateway.start();
    try {
      const answer = await fetch(`${base}/admin/usage`);
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ error: { code: "ledger_off" } });
      expect(gateway.context.ledger).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});
