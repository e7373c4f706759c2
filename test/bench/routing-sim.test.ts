import { describe, expect, it } from "vitest";
import { CacheOracle } from "../../bench/routing-sim-oracle.js";
import { type AdmissionSpec, simulateRun } from "../../bench/routing-sim-run.js";
import { LLAMA_3_1_8B_H100 } from "../../src/mock/engine-sim/profiles.js";
import { createStrategy } from "../../src/routing/strategies/factory.js";

const spec = (strategy: string) => ({
  strategy: createStrategy(strategy),
  profile: LLAMA_3_1_8B_H100,
  engines: 2,
  sessions: 4,
  thinkMs: 500,
  warmup: 8,
  requests: 16,
  seed: 3,
});

describe("routing-sim: a closed-loop agent run on a virtual clock", () => {
  it("is the same run twice from the same seed", () => {
    expect(simulateRun(spec("prefix_aware"))).toEqual(simulateRun(spec("prefix_aware")));
  });

  it("accounts the engines' busy time as prefill, decode and step cost, and reads cache and queue", () => {
    const result = simulateRun(spec("round_robin"));
    expect(result.outputTokensPerS).toBeGreaterThan(0);
    expect(result.prefillShare + result.decodeShare + result.baseShare).toBeCloseTo(1, 6);
    expect(result.prefixHitRate).toBeGreaterThan(0);
    expect(result.prefixHitRate).toBeLessThan(1);
    expect(result.meanKvUsage).toBeGreaterThan(0);
    expect(result.ttftP99Ms).toBeGreaterThanOrEqual(result.ttftP50Ms);
    expect(result.meanPromptTokens).toBeGreaterThan(1000);
  });

  it("finds more of the prompt cached when turns stay with their conversation", () => {
    expect(simulateRun(spec("prefix_aware")).prefixHitRate).toBeGreaterThan(
      simulateRun(spec("round_robin")).prefixHitRate,
    );
  });

  it("splits the history turns did not find into moved, evicted while thinking and evicted while queued", () => {
    const scattered = simulateRun({
      ...spec("round_robin"),
      engines: 4,
      sessions: 8,
      warmup: 16,
      requests: 32,
    });
    expect(scattered.movedTurnShare).toBeGreaterThan(0.5);
    expect(scattered.historyLost.moved).toBeGreaterThan(0);
    const { moved, evictedIdle, evictedQueued } = scattered.historyLost;
    for (const share of [evictedIdle, evictedQueued]) expect(share).toBeGreaterThanOrEqual(0);
    // History lost is prompt not found cached: it cannot exceed what the engines missed.
    expect(moved + evictedIdle + evictedQueued).toBeLessThanOrEqual(1 - scattered.prefixHitRate + 1e-9);
  });

  it("moves nothing with one engine, and loses history there only to eviction", () => {
    const alone = simulateRun({ ...spec("round_robin"), engines: 1 });
    expect(alone.movedTurnShare).toBe(0);
    expect(alone.historyLost.moved).toBe(0);
  });

  it("loses history to eviction once the sessions' histories overflow the KV cache", () => {
    const small = { ...LLAMA_3_1_8B_H100, kvCacheTokens: 120_000 };
    const result = simulateRun({ ...spec("prefix_aware"), profile: small, engines: 1, sessions: 6 });
    expect(result.historyLost.evictedIdle + result.historyLost.evictedQueued).toBeGreaterThan(0.1);
  });

  it("replays an open-loop workload at its rate: a hot prefix is found cached", () => {
    const result = simulateRun({ ...spec("least_loaded"), workload: "hot-prefix", rate: 40, sessions: 1 });
    expect(result.outputTokensPerS).toBeGreaterThan(0);
    expect(result.prefixHitRate).toBeGreaterThan(0.5);
    expect(result.meanPromptTokens).toBeLessThan(5000);
  });
});

describe("cache_oracle: routing-sim's reference that reads the engines' real caches", () => {
  const backend = (id: string, inflight: number) => ({
    id,
    url: `http://${id}`,
    kind: "openai" as const,
    weight: 1,
    maxConnections: 0,
    inflight,
    queueDepth: 0,
    models: ["m"],
  });
  const cached: Record<string, number> = { a: 100, b: 5000, c: 5000 };

  it("sends a turn where most of its prompt is cached, the less loaded of equals", () => {
    const oracle = new CacheOracle();
    oracle.cachedTokens = (id) => cached[id] ?? 0;
    const chosen = oracle.pick([backend("a", 0), backend("b", 3), backend("c", 2)]);
    expect(chosen?.id).toBe("c");
  });

  it("passes over a backend above ceil(1.25 × the mean load)", () => {
    const oracle = new CacheOracle();
    oracle.cachedTokens = (id) => cached[id] ?? 0;
    // Mean with this request (2 + 9 + 9 + 1) ÷ 3 = 7; bound ceil(8.75) = 9: b and c are full.
    expect(oracle.pick([backend("a", 2), backend("b", 9), backend("c", 9)])?.id).toBe("a");
  });

  it("is shown each engine's cache in a simulated run, and finds more cached than round robin", () => {
    const oracle = simulateRun({ ...spec("round_robin"), strategy: new CacheOracle() });
    expect(oracle.prefixHitRate).toBeGreaterThan(simulateRun(spec("round_robin")).prefixHitRate);
  });
});

describe("routing-sim with the gateway's kv admission", () => {
  const admitted = {
    strategy: createStrategy("prefix_aware"),
    profile: { ...LLAMA_3_1_8B_H100, kvCacheTokens: 120_000 },
    engines: 1,
    sessions: 6,
    thinkMs: 500,
    warmup: 8,
    requests: 16,
    seed: 3,
    admission: { capacityFraction: 1, order: "cached-first", holdMs: 750 } as AdmissionSpec,
  };

  it("completes every turn, the same way twice, and counts the gateway wait in TTFT", () => {
    const result = simulateRun(admitted);
    expect(result).toEqual(simulateRun(admitted));
    expect(result.outputTokensPerS).toBeGreaterThan(0);
    expect(result.gatewayWaitMeanMs).toBeGreaterThan(0);
    expect(result.ttftP99Ms).toBeGreaterThanOrEqual(result.gatewayWaitMeanMs);
  });

  it("waits nowhere but at the engine without admission", () => {
    expect(simulateRun({ ...admitted, admission: undefined }).gatewayWaitMeanMs).toBe(0);
  });

  it("runs fifo and a wait bound to the end too", () => {
    for (const admission of [
      { ...admitted.admission, order: "fifo" },
      { ...admitted.admission, agingMs: 200 },
    ] as AdmissionSpec[])
      expect(simulateRun({ ...admitted, admission }).outputTokensPerS).toBeGreaterThan(0);
  });
});
