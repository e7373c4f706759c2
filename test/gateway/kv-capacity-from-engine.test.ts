/**
 * KV admission with no `kv_cache_tokens`: the gateway learns the engine's capacity from its
 * /metrics (`vllm:cache_config_info`, here from the engine simulator over real HTTP), shows it in
 * /status, and from then on holds a request whose decode would overflow it until the running one
 * ends. Before the first scrape nothing is gated (kv-admission-step.ts). Nothing asserts a duration.
 */
import { afterEach, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startEngineSim } from "../../src/mock/server.js";
import type { KvGateView } from "../../src/routing/kv-gate.js";
import { eventually, getJson } from "../helpers/http.js";

interface Status {
  backends: { name: string; engine_kv_tokens: number | null }[];
  kv_admission: { enabled: boolean; gates: Record<string, KvGateView> };
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** 256 tokens of cache: 4 of the gateway's 64-token blocks (256 characters ÷ 4). */
async function fleet(): Promise<{ base: string; engine: RunningMock }> {
  // Half the real engine's speed: the first answer's 128 tokens take long enough to queue behind.
  const engine = await startEngineSim({
    port: 0,
    models: ["m"],
    kvCacheTokens: 256,
    timeScale: 0.5,
    logLevel: "silent",
  });
  cleanups.push(() => engine.close());
  const gateway: Gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0.05,
      request_timeout: 60,
      max_retries: 0,
      kv_admission: true,
      queue_size: 4,
      backends: [{ name: "sim", url: engine.url, models: ["m"] }],
    }),
  );
  cleanups.push(() => gateway.close());
  return { base: await gateway.start(), engine };
}

function chat(base: string, maxTokens: number) {
  return fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "m",
      max_tokens: maxTokens,
      ignore_eos: true,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
}

describe("KV admission on the capacity the engine states", () => {
  it("learns it from the engine's metrics, shows it in /status, and holds a request past it", async () => {
    const { base } = await fleet();
    await eventually(
      async () => (await getJson<Status>(`${base}/status`)).body.backends[0]!.engine_kv_tokens === 256,
      10_000,
    );
    // 2 decode blocks run; 3 more would pass the 4-block budget.
    const first = chat(base, 128);
    await eventually(
      async () => (await getJson<Status>(`${base}/status`)).body.kv_admission.gates.sim?.running === 1,
    );
    const second = chat(base, 192);
    let gate: KvGateView | undefined;
    await eventually(async () => {
      gate = (await getJson<Status>(`${base}/status`)).body.kv_admission.gates.sim;
      return gate?.queued === 1;
    });
    expect(gate).toMatchObject({ capacity_tokens: 256, capacity_blocks: 4, running: 1 });
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    const after = (await getJson<Status>(`${base}/status`)).body.kv_admission;
    expect(after.enabled).toBe(true);
    expect(after.gates.sim).toMatchObject({ running: 0, queued: 0 });
  });
});
