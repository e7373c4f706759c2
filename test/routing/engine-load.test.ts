import { Pool } from "undici";
import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { engineKvCapacityTokens } from "../../src/metrics/engine-kv-capacity.js";
import { sumByMetric } from "../../src/metrics/prometheus-text.js";
import { startEngineSim } from "../../src/mock/server.js";
import { EngineLoadScraper } from "../../src/routing/engine-load.js";
import { Registry } from "../../src/routing/registry.js";
import { getWithDeadline } from "../../src/upstream/get.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

describe("EngineLoadScraper", () => {
  it("records the engine's own queue beyond our inflight, and stops asking backends without metrics", async () => {
    const registry = new Registry();
    const vllm = registry.add("vllm", backendSchema.parse({ url: "http://127.0.0.1:1", models: ["m"] }));
    const plain = registry.add("plain", backendSchema.parse({ url: "http://127.0.0.1:2", models: ["m"] }));
    vllm.inflight = 2;
    const asked: string[] = [];
    const scraper = new EngineLoadScraper(
      registry,
      async (backend) => {
        asked.push(backend.id);
        return backend.id === "vllm"
          ? { status: 200, text: "vllm:num_requests_waiting 5\nvllm:num_requests_running 3\n" }
          : { status: 404, text: "" };
      },
      sumByMetric,
      { intervalMs: 0, timeoutMs: 100 },
    );
    await scraper.scrapeAll();
    expect(vllm.queueDepth).toBe(6);
    expect(vllm.engineKvTokens).toBeUndefined();
    expect(plain.queueDepth).toBe(0);
    await scraper.scrapeAll();
    expect(asked).toEqual(["vllm", "plain", "vllm"]);
  });

  it("learns the KV capacity the engine states, and keeps it when a later scrape states none", async () => {
    const registry = new Registry();
    const vllm = registry.add("vllm", backendSchema.parse({ url: "http://127.0.0.1:1", models: ["m"] }));
    let text =
      'vllm:num_requests_running{engine="0",model_name="m"} 0\nvllm:cache_config_info{block_size="16",engine="0",num_gpu_blocks="100"} 1\n';
    const scraper = new EngineLoadScraper(registry, async () => ({ status: 200, text }), sumByMetric, {
      intervalMs: 0,
      timeoutMs: 100,
      kvCapacity: engineKvCapacityTokens,
    });
    await scraper.scrapeAll();
    expect(vllm.engineKvTokens).toBe(1600);
    text = 'vllm:num_requests_running{engine="0",model_name="m"} 0\n';
    await scraper.scrapeAll();
    expect(vllm.engineKvTokens).toBe(1600);
  });
});

describe("EngineLoadScraper reading the engine simulator", () => {
  it("reads the simulated vLLM's running and waiting requests as the engine's queue", async () => {
    // Two sequences at a time, each generating 2,000 tokens in real time (12 s): four requests
    // give two running and two waiting for as long as the test looks.
    const engine = await startEngineSim({ port: 0, models: ["m"], maxNumSeqs: 2, logLevel: "silent" });
    const pool = new Pool(engine.url);
    const abort = new AbortController();
    try {
      const registry = new Registry();
      const backend = registry.add("sim", backendSchema.parse({ url: engine.url, models: ["m"] }));
      const body = JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: "go" }],
        max_tokens: 2000,
        ignore_eos: true,
        stream: true,
      });
      for (let i = 0; i < 4; i++) {
        void fetch(`${engine.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: abort.signal,
        }).catch(() => {});
      }
      const scraper = new EngineLoadScraper(
        registry,
        (target, timeoutMs) => getWithDeadline(pool, target.pathFor("/metrics"), timeoutMs),
        sumByMetric,
        { intervalMs: 0, timeoutMs: 2000, kvCapacity: engineKvCapacityTokens },
      );
      await expect
        .poll(
          async () => {
            await scraper.scrapeAll();
            return backend.queueDepth;
          },
          { timeout: 10_000 },
        )
        .toBe(4);
      // A request that arrived after the engine's last step waits until its next one, so the split
      // settles a step after all four are queued: poll it rather than read it once.
      await expect
        .poll(
          async () => {
            const samples = parsePrometheusText((await getWithDeadline(pool, "/metrics", 2000)).text);
            const running = sumSamples(samples, "vllm:num_requests_running", { model_name: "m" });
            const waiting = sumSamples(samples, "vllm:num_requests_waiting", { model_name: "m" });
            return { running, waiting };
          },
          { timeout: 10_000 },
        )
        .toEqual({ running: 2, waiting: 4 - 2 });
      // The simulator states its cache as vLLM does; the default profile holds 400,000 tokens.
      expect(backend.engineKvTokens).toBe(400_000);
    } finally {
      abort.abort();
      await pool.close();
      await engine.close();
    }
  });
});
