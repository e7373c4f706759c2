/**
 * Seed 004's hosted-service mode against mock "hosted APIs": key pools rotated round robin across
 * endpoints, a key that gets 429 cooling down, a key that gets 401 taken out, service detection by
 * model prefix, the /health and /stats shapes — and no key value anywhere in the output.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson, postJson } from "../helpers/http.js";

const KEYS = ["sk-test-alpha-1111", "sk-test-bravo-2222", "sk-test-charlie-3333"];
const ANTHROPIC_KEY = "sk-ant-test-delta-4444";
let openaiA: CliProcess;
let openaiB: CliProcess;
let anthropicC: CliProcess;
let gateway: CliProcess;
let base: string;

interface Stats {
  keys: Record<string, number>;
}
const keysSeen = async (mock: CliProcess) =>
  (await getJson<Stats>(`${mock.ready[0]!.url}/mock/stats`)).body.keys;
async function keyTotals(): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const mock of [openaiA, openaiB]) {
    for (const [key, count] of Object.entries(await keysSeen(mock))) totals[key] = (totals[key] ?? 0) + count;
  }
  return totals;
}

beforeAll(async () => {
  const models = ["--models", "gpt-4o-mini,claude-3-haiku"];
  [openaiA, openaiB, anthropicC] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "oa-a", ...models]),
    startCli(["mock", "--port", "0", "--id", "oa-b", ...models]),
    startCli(["mock", "--port", "0", "--id", "an-c", ...models]),
  ]);
  gateway = await startCli(["gateway", "--port", "0", "--log-level", "debug"], {
    env: {
      OPENAI_API_KEYS: KEYS.join(","),
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      SERVICE_ENDPOINTS: JSON.stringify({
        openai: [`${openaiA.ready[0]!.url}/v1`, `${openaiB.ready[0]!.url}/v1`],
        anthropic: [`${anthropicC.ready[0]!.url}/v1`],
      }),
    },
  });
  base = gateway.ready[0]!.url;
});

afterAll(stopAll);

const chat = (content = "hi") =>
  postJson(
    `${base}/v1/chat/completions`,
    { model: "gpt-4o-mini", messages: [{ role: "user", content }] },
    {
      authorization: "Bearer client-key-not-forwarded",
    },
  );

describe("key pools", () => {
  it("rotate keys round robin across the service's endpoints, replacing the client's key", async () => {
    const nodes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await chat();
      expect(response.status).toBe(200);
      nodes.push(response.headers.get("x-routed-node")!);
    }
    expect(nodes).toEqual(["openai-1", "openai-2", "openai-1", "openai-2", "openai-1", "openai-2"]);
    expect(await keyTotals()).toEqual({ [KEYS[0]!]: 2, [KEYS[1]!]: 2, [KEYS[2]!]: 2 });
  });

  it("cool a key down on 429 and retry the request with the next key", async () => {
    for (const mock of [openaiA, openaiB])
      await postJson(`${mock.ready[0]!.url}/mock/faults`, { keyStatus: { [KEYS[1]!]: 429 } });
    const before = await keyTotals();
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    const after = await keyTotals();
    expect(after[KEYS[1]!]! - before[KEYS[1]!]!).toBe(1);
    expect(after[KEYS[0]!]! - before[KEYS[0]!]! + after[KEYS[2]!]! - before[KEYS[2]!]!).toBe(6);
    const stats = await getJson<{
      load_balancer_stats: {
        openai: { keys: { key: string; rate_limited: number; cooling_down_ms: number }[] };
      };
    }>(`${base}/stats`);
    const bravo = stats.body.load_balancer_stats.openai.keys.find((key) => key.key === "key-2")!;
    expect(bravo.rate_limited).toBe(1);
    expect(bravo.cooling_down_ms).toBeGreaterThan(0);
  });

  it("take a key that gets 401 out of rotation and report it", async () => {
    for (const mock of [openaiA, openaiB]) {
      await postJson(`${mock.ready[0]!.url}/mock/faults`, { keyStatus: { [KEYS[2]!]: 401 } });
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const before = await keyTotals();
    for (let i = 0; i < 8; i++) expect((await chat()).status).toBe(200);
    const after = await keyTotals();
    expect(after[KEYS[2]!]! - before[KEYS[2]!]!).toBe(1);
    const stats = await getJson<{
      load_balancer_stats: { openai: { keys: { key: string; disabled: boolean }[] } };
    }>(`${base}/stats`);
    expect(stats.body.load_balancer_stats.openai.keys.map((key) => key.disabled)).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("detect the service by model prefix for both SDKs", async () => {
    const anthropic = new Anthropic({ baseURL: base, apiKey: "client-key", maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "claude-3-haiku",
      max_tokens: 32,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "[backend=an-c version=0] hello" });
    expect(await keysSeen(anthropicC)).toEqual({ [ANTHROPIC_KEY]: 1 });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "client-key", maxRetries: 0 });
    const viaOpenAI = await openai.chat.completions.create({
      model: "claude-3-haiku",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(viaOpenAI.choices[0]!.message.content).toBe("[backend=an-c version=0] hello");
  });

  it("show the key-pool proxy's /health, / and /stats shapes, with counts and endpoints but no key", async () => {
    const health = await getJson<{ status: string; timestamp: number; load_balancer: unknown }>(
      `${base}/health`,
    );
    expect(health.body.status).toBe("healthy");
    expect(typeof health.body.timestamp).toBe("number");
    expect(health.body.load_balancer).toEqual({
      openai_keys_configured: 3,
      anthropic_keys_configured: 1,
      endpoints: {
        openai: [`${openaiA.ready[0]!.url}/v1`, `${openaiB.ready[0]!.url}/v1`],
        anthropic: [`${anthropicC.ready[0]!.url}/v1`],
      },
    });
    const root = await getJson<{ status: string }>(`${base}/`);
    expect(root.body.status).toBe("ok");
    const stats = await fetch(`${base}/stats`);
    const text = await stats.text();
    expect(JSON.parse(text)).toMatchObject({
      load_balancer_stats: { openai: { keys_count: 3 }, anthropic: { keys_count: 1 } },
    });
    for (const response of [text, JSON.stringify(health.body), JSON.stringify(root.body)]) {
      for (const key of [...KEYS, ANTHROPIC_KEY]) expect(response).not.toContain(key);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const key of [...KEYS, ANTHROPIC_KEY]) expect(metrics).not.toContain(key);
  });

  it("never write a key into the logs", () => {
    const output = gateway.output();
    expect(output.length).toBeGreaterThan(0);
    for (const key of [...KEYS, ANTHROPIC_KEY]) expect(output).not.toContain(key);
  });
});

describe("service configuration", () => {
  it("refuses to start with endpoints but no keys, naming the variables", async () => {
    const failure = await startCli(["gateway", "--port", "0"], {
      env: {
        SERVICE_ENDPOINTS: '{"openai": ["http://127.0.0.1:1/v1"]}',
        OPENAI_API_KEYS: "",
        OPENAI_API_KEY: "",
      },
    }).catch((error: unknown) => error as Error);
    expect(String(failure)).toContain("No OpenAI API keys configured");
  });
});
