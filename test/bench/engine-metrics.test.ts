import { describe, expect, it } from "vitest";
import { prefixCacheCounters, prefixCacheGrowth, sumSamples } from "../../src/bench/engine-metrics.js";

const VLLM = [
  "# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.",
  "# TYPE vllm:prefix_cache_queries_total counter",
  'vllm:prefix_cache_queries_total{engine="0",model_name="llama"} 1000.0',
  'vllm:prefix_cache_queries_total{engine="1",model_name="llama"} 500.0',
  'vllm:prefix_cache_queries_created{engine="0",model_name="llama"} 1.7e9',
  'vllm:prefix_cache_hits_total{engine="0",model_name="llama"} 600.0',
  "vllm:prefix_cache_hits_total_other 99",
].join("\n");

describe("engine prefix-cache counters", () => {
  it("sums a counter over its label sets and ignores look-alike names", () => {
    expect(sumSamples(VLLM, "vllm:prefix_cache_queries_total")).toBe(1500);
    expect(sumSamples(VLLM, "vllm:prefix_cache_hits_total")).toBe(600);
    expect(sumSamples("plain_metric 3\n", "plain_metric")).toBe(3);
    expect(sumSamples(VLLM, "vllm:num_requests_running")).toBeUndefined();
    expect(prefixCacheCounters("switchyard_requests_total 5")).toBeUndefined();
  });

  it("reports the growth over the run, leaving out engines read only once", () => {
    const growth = prefixCacheGrowth(
      [{ queries: 100, hits: 50 }, undefined, { queries: 0, hits: 0 }],
      [
        { queries: 300, hits: 150 },
        { queries: 9, hits: 9 },
        { queries: 200, hits: 0 },
      ],
    );
    expect(growth).toEqual({ engines: 2, queries: 400, hits: 100, hitRate: 0.25 });
    expect(prefixCacheGrowth([undefined], [{ queries: 1, hits: 1 }])).toBeUndefined();
  });
});
