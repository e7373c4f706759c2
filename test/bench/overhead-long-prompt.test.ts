import { describe, expect, it } from "vitest";
import {
  computeLongPromptVerdicts,
  LONG_PROMPT_MODELS,
  longPromptConfig,
  longPromptPhases,
  longPromptRequests,
} from "../../bench/overhead-long-prompt.js";
import { planPhases } from "../../bench/overhead-phases.js";
import type { PhaseFigures, TargetReport } from "../../bench/overhead-report.js";
import { gatewayConfig } from "../../bench/overhead-targets.js";
import { gatewayVariants } from "../../bench/overhead-variants.js";
import type { LoadSummary } from "../../src/bench/load.js";

function summary(throughput: number, p50: number): LoadSummary {
  return { throughput, latency: { p50, p99: p50 * 3 } } as unknown as LoadSummary;
}

function longPhase(strategy: string, throughput: number, p50: number, cpuMs: number): PhaseFigures {
  return {
    target: "gateway",
    protocol: "chat",
    payload: "long",
    load: "open",
    loadLabel: `1000/s ${strategy}`,
    rate: 1000,
    strategy,
    summary: summary(throughput, p50),
    targetCpuMsPerRequest: cpuMs,
  };
}

function gateway(phases: PhaseFigures[]): TargetReport[] {
  return [{ target: "gateway", label: "gateway", status: "ok", phases }];
}

describe("long-prompt phases", () => {
  it("sends a ~100 kB chat body per session, each strategy to its own model", () => {
    const requests = longPromptRequests("prefix_aware");
    const first = requests(0);
    const body = JSON.parse(String(first.body)) as { model: string; messages: unknown[]; tools: unknown[] };
    expect(first.path).toBe("/v1/chat/completions");
    expect(String(first.body).length).toBeGreaterThan(80_000);
    expect(String(first.body).length).toBeLessThan(140_000);
    expect(body.model).toBe(LONG_PROMPT_MODELS.prefix_aware);
    expect(body.messages).toHaveLength(41);
    expect(body.tools).toHaveLength(20);
    expect(requests(1).body).not.toBe(first.body);
    expect(requests(16).body).toBe(first.body);
  });

  it("come after the other phases, one per strategy, at --rate", () => {
    const plans = longPromptPhases({ rate: 1000, precise: true });
    expect(plans.map((plan) => [plan.payload, plan.load, plan.rate, plan.strategy])).toEqual([
      ["long", "open", 1000, "round_robin"],
      ["long", "open", 1000, "prefix_aware"],
    ]);
    const others = planPhases("gateway", { concurrency: 64, rate: 1000, precise: true }, ["chat"], 500);
    expect(others.some((plan) => plan.payload === "long")).toBe(false);
  });

  it("run at --long-prompt-rate when it is given", () => {
    const plans = longPromptPhases({ rate: 1000, precise: true, longPromptRate: 300 });
    expect(plans.map((plan) => [plan.rate, plan.loadLabel])).toEqual([
      [300, "300/s round_robin"],
      [300, "300/s prefix_aware"],
    ]);
  });

  it("add two mock entries and a strategy per model to the gateway config only when asked", () => {
    const [variant] = gatewayVariants({ redis: false, workers: [1] });
    const plain = gatewayConfig("http://127.0.0.1:1", variant!, false) as { backends: unknown[] };
    expect(plain.backends).toHaveLength(1);
    const long = gatewayConfig("http://127.0.0.1:1", variant!, false, true);
    expect(long).toMatchObject({
      backends: [{ name: "bench-mock" }, ...longPromptConfig("http://127.0.0.1:1").backends],
      model_strategies: {
        [LONG_PROMPT_MODELS.round_robin]: "round_robin",
        [LONG_PROMPT_MODELS.prefix_aware]: "prefix_aware",
      },
    });
  });
});

describe("computeLongPromptVerdicts", () => {
  it("judges prefix_aware's added p50 against 0.1 ms", () => {
    const [added, cpu] = computeLongPromptVerdicts(
      gateway([longPhase("round_robin", 1000, 1.2, 0.4), longPhase("prefix_aware", 999, 1.25, 0.5)]),
    );
    expect(added!.value).toBeCloseTo(0.05);
    expect(added!.met).toBe(true);
    expect(cpu!.value).toBeCloseTo(1.25);
    const [over] = computeLongPromptVerdicts(
      gateway([longPhase("round_robin", 1000, 1.2, 0.4), longPhase("prefix_aware", 1000, 1.5, 0.5)]),
    );
    expect(over!.met).toBe(false);
  });

  it("leaves a phase that fell behind its rate unjudged, and says nothing without the phases", () => {
    const [added] = computeLongPromptVerdicts(
      gateway([longPhase("round_robin", 700, 1.2, 0.4), longPhase("prefix_aware", 1000, 1.5, 0.5)]),
    );
    expect(added!.met).toBeUndefined();
    expect(added!.unjudged).toContain("behind");
    expect(computeLongPromptVerdicts(gateway([]))).toEqual([]);
  });
});
