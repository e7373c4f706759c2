import { describe, expect, it } from "vitest";
import { simulateRun } from "../../bench/routing-sim-run.js";
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

  it("replays an open-loop workload at its rate: a hot prefix is found cached", () => {
    const result = simulateRun({ ...spec("least_loaded"), workload: "hot-prefix", rate: 40, sessions: 1 });
    expect(result.outputTokensPerS).toBeGreaterThan(0);
    expect(result.prefixHitRate).toBeGreaterThan(0.5);
    expect(result.meanPromptTokens).toBeLessThan(5000);
  });
});
