import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { sumByMetric } from "../../src/metrics/prometheus-text.js";
import { EngineLoadScraper } from "../../src/routing/engine-load.js";
import { Registry } from "../../src/routing/registry.js";

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
    expect(plain.queueDepth).toBe(0);
    await scraper.scrapeAll();
    expect(asked).toEqual(["vllm", "plain", "vllm"]);
  });
});
