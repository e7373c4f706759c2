import { cleanup, render } from "ink-testing-library";
import { createElement as h } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { type LiveState, liveState, type ModelFigures } from "../../src/bench/live/live-figures.js";
import { LiveScreen, sparkWidthFor } from "../../src/bench/live/live-screen.js";
import { formatPlainLines } from "../../src/bench/live/plain-lines.js";
import { sparkline } from "../../src/bench/live/sparkline.js";
import { filledStats } from "./fixtures.js";

afterEach(cleanup);

function figures(model: string, overrides: Partial<ModelFigures> = {}): ModelFigures {
  return {
    model,
    done: 1234,
    failed: 0,
    ratePerS: 41.5,
    outputTokensPerS: 5312,
    ttftMs: { p50: 52.4, p90: 61.8, p99: 77.3 },
    latencyMs: { p50: 331, p90: 356, p99: 402 },
    interTokenMs: { p50: 2.21, p90: 2.9, p99: 6.05 },
    throughputHistory: [100, 400, 800, 800, 600],
    errors: [],
    backends: [
      { backend: "mock-1", count: 617 },
      { backend: "mock-2", count: 617 },
    ],
    ...overrides,
  };
}

function state(models: ModelFigures[]): LiveState {
  return { phase: "measure", elapsedS: 12, durationS: 30, inflight: 16, stopping: false, models };
}

describe("LiveScreen (ink)", () => {
  it("shows one pane per model, side by side, with their figures", () => {
    const { lastFrame } = render(
      h(LiveScreen, {
        state: state([
          figures("llama-3.1-8b"),
          figures("qwen2.5-7b", {
            done: 880,
            failed: 7,
            ttftMs: { p50: 104, p90: 130, p99: 151 },
            errors: [
              { label: "HTTP 503", count: 5 },
              { label: "timeout", count: 2 },
            ],
          }),
        ]),
        columns: 100,
      }),
    );
    const frame = lastFrame() ?? "";
    const lines = frame.split("\n");
    expect(lines[0]).toContain("switchyard bench");
    expect(lines[0]).toContain("measuring  12s / 30s  in flight 16");
    // Both model names on one line: the panes sit side by side.
    expect(lines.some((line) => line.includes("llama-3.1-8b") && line.includes("qwen2.5-7b"))).toBe(true);
    const row = (label: string) => lines.find((line) => line.includes(`${label} `) && line.includes("│"))!;
    expect(row("done")).toMatch(/done 1234\s+failed 0.*done 880\s+failed 7/);
    expect(row("rate")).toContain("rate 41.5 req/s  out 5312 tok/s");
    expect(row("TTFT")).toMatch(/TTFT\s+52\.4\s+61\.8\s+77\.3.*TTFT\s+104\s+130\s+151/);
    expect(row("latency")).toMatch(/latency\s+331\s+356\s+402/);
    expect(row("ITL")).toMatch(/ITL\s+2\.21\s+2\.90\s+6\.05/);
    expect(frame).toContain("tok/s ▂▅██▆");
    expect(row("errors")).toMatch(/errors none.*errors HTTP 503 5 · timeout 2/);
    expect(frame).toContain("backends mock-1 617 · mock-2 617");
  });

  it("shows '-' before anything was measured and says when it is stopping", () => {
    const { lastFrame } = render(
      h(LiveScreen, {
        state: {
          ...state([
            figures("m", {
              done: 0,
              ttftMs: { p50: undefined, p90: undefined, p99: undefined },
              throughputHistory: [],
              backends: [],
            }),
          ]),
          stopping: true,
        },
        columns: 80,
      }),
    );
    const frame = lastFrame() ?? "";
    expect(frame).toContain("stopping");
    expect(frame).toMatch(/TTFT\s+-\s+-\s+-/);
  });

  it("re-renders with new figures", () => {
    const instance = render(h(LiveScreen, { state: state([figures("m")]), columns: 80 }));
    instance.rerender(h(LiveScreen, { state: state([figures("m", { done: 99_999 })]), columns: 80 }));
    expect(instance.lastFrame()).toContain("done 99999");
  });
});

describe("live figures from the aggregates", () => {
  it("builds each model's figures: counts, recent rates, percentiles, errors, backends", () => {
    const stats = filledStats();
    const live = liveState(
      stats,
      { phase: "measure", elapsedMs: 9000, sent: 203, ok: 200, failed: 3, inflight: 4 },
      { durationS: 10, warmupS: 0, stopping: false },
      9_500,
    );
    expect(live.inflight).toBe(4);
    const [llama, qwen] = live.models;
    expect(llama!.model).toBe("llama");
    expect(llama!.done).toBe(100);
    expect(llama!.ratePerS).toBe(10);
    expect(llama!.ttftMs.p50).toBeGreaterThan(30);
    expect(llama!.throughputHistory).toHaveLength(9);
    expect(qwen!.failed).toBe(3);
    expect(qwen!.errors).toEqual([
      { label: "HTTP 503", count: 2 },
      { label: "timeout", count: 1 },
    ]);
    expect(llama!.backends).toEqual([
      { backend: "mock-1", count: 50 },
      { backend: "mock-2", count: 50 },
    ]);
  });
});

describe("plain lines", () => {
  it("prints one line per model with the same figures", () => {
    const lines = formatPlainLines(
      state([figures("a"), figures("b", { errors: [{ label: "HTTP 429", count: 3 }] })]),
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "[  12s] a: 1234 ok, 0 failed, 41.5 req/s, 5312 tok/s | TTFT p50/p90/p99 52.4/61.8/77.3 ms | " +
        "latency 331/356/402 ms | ITL p50/p99 2.21/6.05 ms | errors: none",
    );
    expect(lines[1]).toContain("errors: HTTP 429=3");
  });
});

describe("sparkline", () => {
  it("scales to the largest value shown and keeps the most recent values", () => {
    expect(sparkline([0, 1, 2, 4, 8], 10)).toBe("▁▂▃▅█");
    expect(sparkline([8, 0, 4], 2)).toBe("▁█");
    expect(sparkline([0, 0], 5)).toBe("▁▁");
    expect(sparkline([], 5)).toBe("");
    expect(sparkWidthFor(100, 2)).toBe(40);
    expect(sparkWidthFor(20, 4)).toBe(8);
  });
});
