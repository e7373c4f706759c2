/** EngineSim's mapping of the virtual clock onto wall time, on fake timers (no real waiting). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EngineSim } from "../../../src/mock/engine-sim/engine.js";
import { attentionSpan, LLAMA_3_1_8B_H100, stepMs } from "../../../src/mock/engine-sim/profiles.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function listen() {
  const tokens: number[] = [];
  const wall: number[] = [];
  let finished = false;
  return {
    tokens,
    wall,
    isFinished: () => finished,
    listener: {
      onToken: (_index: number, atMs: number) => {
        tokens.push(atMs);
        wall.push(Date.now());
      },
      onFinish: () => {
        finished = true;
      },
    },
  };
}

describe("EngineSim", () => {
  it("delivers each step's tokens when the wall clock reaches the step's end, scaled by timeScale", async () => {
    const engine = new EngineSim({ modelName: "m", timeScale: 2 }, () => Date.now());
    const start = Date.now();
    const record = listen();
    engine.submit({ prompt: "x".repeat(40_000), outputTokens: 2 }, record.listener); // 10,000 tokens
    await vi.advanceTimersByTimeAsync(10_000);
    expect(record.isFinished()).toBe(true);
    const jitter = LLAMA_3_1_8B_H100.jitter;
    // Two prefill chunks (8,192 + 1,808 tokens) give the first token; one decode step the second.
    const chunk = (from: number, count: number) =>
      stepMs(LLAMA_3_1_8B_H100, {
        prefillTokens: count,
        prefillAttention: attentionSpan(from, count),
        decodeSeqs: 0,
        decodeContext: 0,
      });
    const prefill = chunk(0, 8192) + chunk(8192, 1808);
    expect(record.tokens[0]).toBeGreaterThan(prefill * (1 - jitter));
    expect(record.tokens[0]).toBeLessThan(prefill * (1 + jitter));
    for (const [index, at] of record.wall.entries()) {
      expect(at - start).toBeGreaterThanOrEqual(Math.floor(record.tokens[index]! / 2) - 1);
      expect(at - start).toBeLessThanOrEqual(Math.ceil(record.tokens[index]! / 2) + 1);
    }
    engine.close();
  });

  it("keeps the clock with the wall while idle, so a later arrival waits for nothing before it", async () => {
    const engine = new EngineSim({ modelName: "m", timeScale: 1 }, () => Date.now());
    await vi.advanceTimersByTimeAsync(5_000);
    const record = listen();
    engine.submit({ prompt: "hello", outputTokens: 1 }, record.listener);
    await vi.advanceTimersByTimeAsync(100);
    const step = stepMs(LLAMA_3_1_8B_H100, {
      prefillTokens: 2,
      prefillAttention: 1,
      decodeSeqs: 0,
      decodeContext: 0,
    });
    expect(record.tokens[0]! - 5_000).toBeLessThan(step * 1.05);
    expect(engine.metricsText()).toContain(
      'vllm:time_to_first_token_seconds_count{model_name="m",engine="0"} 1',
    );
    engine.close();
  });
});
