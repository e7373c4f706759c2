import { describe, expect, it } from "vitest";
import { EngineMetrics } from "../../../src/mock/engine-sim/metrics.js";
import {
  attentionSpan,
  type EngineProfile,
  LLAMA_3_1_8B_H100,
  stepMs,
} from "../../../src/mock/engine-sim/profiles.js";
import {
  Scheduler,
  type SchedulerSettings,
  type SequenceSpec,
} from "../../../src/mock/engine-sim/scheduler.js";
import { blockHashes, simTokenCount } from "../../../src/mock/engine-sim/tokens.js";

const EXACT: EngineProfile = { ...LLAMA_3_1_8B_H100, jitter: 0 };

function scheduler(overrides: Partial<SchedulerSettings> = {}, metrics?: EngineMetrics): Scheduler {
  return new Scheduler(
    {
      profile: EXACT,
      kvCacheTokens: 100_000,
      maxNumSeqs: 256,
      maxBatchedTokens: 8192,
      seed: 1,
      ...overrides,
    },
    metrics,
  );
}

function spec(prompt: string, outputTokens = 4): SequenceSpec {
  return { promptTokens: simTokenCount(prompt), blockHashes: blockHashes(prompt), outputTokens };
}

/** Submits and records each token's time and the finish time. */
function track(engine: Scheduler, request: SequenceSpec, arrivalMs?: number) {
  const record = { tokens: [] as number[], finishedAt: undefined as number | undefined };
  engine.submit(
    request,
    {
      onToken: (_index, atMs) => record.tokens.push(atMs),
      onFinish: (atMs) => {
        record.finishedAt = atMs;
      },
    },
    arrivalMs,
  );
  return record;
}

const SYSTEM = "You are a coding agent. ".repeat(800); // 19,200 characters: 4,800 tokens

describe("Scheduler", () => {
  it("prefills in one step, then decodes one token a step, timed by the profile", () => {
    const engine = scheduler();
    const prompt = "x".repeat(4000); // 1,000 tokens
    const record = track(engine, spec(prompt, 3));
    const reports = engine.drain();
    expect(reports.map((report) => [report.prefillTokens, report.decodeSeqs])).toEqual([
      [1000, 0],
      [0, 1],
      [0, 1],
    ]);
    const prefill = stepMs(EXACT, {
      prefillTokens: 1000,
      prefillAttention: (1000 * 999) / 2,
      decodeSeqs: 0,
      decodeContext: 0,
    });
    const decode = (context: number) =>
      stepMs(EXACT, { prefillTokens: 0, prefillAttention: 0, decodeSeqs: 1, decodeContext: context });
    // Each decode step reads the whole context: the prompt and the tokens generated so far.
    const expected = [prefill, prefill + decode(1001), prefill + decode(1001) + decode(1002)];
    for (const [index, at] of record.tokens.entries()) expect(at).toBeCloseTo(expected[index]!, 9);
    expect(record.finishedAt).toBe(record.tokens[2]);
    expect(engine.cache.usedBlocks).toBe(0);
  });

  it("charges a deeper context more: attention in prefill, KV reads in decode", () => {
    const work = { prefillTokens: 100, prefillAttention: 0, decodeSeqs: 10, decodeContext: 0 };
    const shallow = stepMs(EXACT, {
      ...work,
      prefillAttention: attentionSpan(0, 100),
      decodeContext: 10 * 1000,
    });
    const deep = stepMs(EXACT, {
      ...work,
      prefillAttention: attentionSpan(30_000, 100),
      decodeContext: 10 * 30_000,
    });
    expect(deep).toBeGreaterThan(shallow * 1.5);
    expect(attentionSpan(3, 4)).toBe(3 + 4 + 5 + 6);
  });

  it("gives a cached prefix a lower time to first token than a cold prompt", () => {
    const engine = scheduler();
    track(engine, spec(`${SYSTEM}first question`, 1));
    engine.drain();
    const start = engine.now;
    const warm = track(engine, spec(`${SYSTEM}second question`, 1), start);
    engine.drain();
    const warmTtft = warm.tokens[0]! - start;

    const cold = scheduler();
    const coldRecord = track(cold, spec(`${SYSTEM}second question`, 1));
    cold.drain();
    const coldTtft = coldRecord.tokens[0]!;
    expect(warmTtft).toBeLessThan(coldTtft / 5);
  });

  it("counts prefix-cache queries and hits in tokens, as vLLM does", () => {
    const metrics = new EngineMetrics("m");
    const engine = scheduler({}, metrics);
    track(engine, spec(`${SYSTEM}a`, 1));
    engine.drain();
    track(engine, spec(`${SYSTEM}b`, 1));
    engine.drain();
    const text = metrics.render({ running: 0, waiting: 0, kvCacheUsage: 0 });
    const queried = 2 * simTokenCount(`${SYSTEM}a`);
    expect(text).toContain(`vllm:prefix_cache_queries_total{model_name="m",engine="0"} ${queried}`);
    expect(text).toContain(`vllm:prefix_cache_hits_total{model_name="m",engine="0"} ${4800}`);
  });

  it("runs at most max-num-seqs sequences and keeps the rest waiting", () => {
    const metrics = new EngineMetrics("m");
    const engine = scheduler({ maxNumSeqs: 2 }, metrics);
    for (let i = 0; i < 5; i++) track(engine, spec(`request ${i} `.repeat(10), 3));
    engine.step();
    expect([engine.runningCount, engine.waitingCount]).toEqual([2, 3]);
    engine.drain();
    expect([engine.runningCount, engine.waitingCount]).toEqual([0, 0]);
    // Three of the five waited for a place: their queue time is counted as vLLM counts it.
    const text = metrics.render({ running: 0, waiting: 0, kvCacheUsage: 0 });
    const waited = /vllm:request_queue_time_seconds_sum\{[^}]*\} (\S+)/.exec(text)![1]!;
    expect(Number(waited)).toBeGreaterThan(0);
    expect(text).toContain('vllm:request_queue_time_seconds_count{model_name="m",engine="0"} 5');
  });

  it("chunks prefills to max-batched-tokens per step, decodes first", () => {
    const engine = scheduler({ maxBatchedTokens: 512 });
    track(engine, spec("d".repeat(400), 10)); // 100 tokens, then decoding
    engine.step();
    track(engine, spec("p".repeat(8000), 1)); // 2,000 tokens
    const steps = engine.drain(5).map((report) => [report.prefillTokens, report.decodeSeqs]);
    expect(steps).toEqual([
      [511, 1],
      [511, 1],
      [511, 1],
      [467, 1],
      [0, 1],
    ]);
  });

  it("slows the decodes that share a step with a prefill chunk by the chunk's cost", () => {
    const engine = scheduler();
    const decoding = track(engine, spec("d".repeat(400), 4)); // 100 tokens, then decoding
    engine.drain(2);
    track(engine, spec("p".repeat(16_000), 1)); // 4,000 tokens: one chunk, in the next step
    engine.drain();
    const [, second, third, fourth] = decoding.tokens;
    const alone = stepMs(EXACT, { prefillTokens: 0, prefillAttention: 0, decodeSeqs: 1, decodeContext: 101 });
    const shared = stepMs(EXACT, {
      prefillTokens: 4000,
      prefillAttention: attentionSpan(0, 4000),
      decodeSeqs: 1,
      decodeContext: 102,
    });
    expect(third! - second!).toBeCloseTo(shared, 6);
    expect(fourth! - third!).toBeLessThan(shared);
    expect(shared - alone).toBeGreaterThan(4000 * EXACT.prefillTokenMs - 1e-9);
  });

  it("queues requests while the KV cache is full and admits them as blocks free", () => {
    // 64 blocks of 16 tokens; each request needs 40 blocks (600 prompt + 40 output tokens).
    const engine = scheduler({ kvCacheTokens: 1024 });
    const first = track(engine, spec("a".repeat(2400), 40));
    const second = track(engine, spec("b".repeat(2400), 40));
    engine.step();
    expect([engine.runningCount, engine.waitingCount]).toEqual([1, 1]);
    expect(engine.cache.usage()).toBeCloseTo(40 / 64);
    engine.drain();
    expect(second.tokens[0]!).toBeGreaterThan(first.finishedAt!);
    expect(() => engine.submit(spec("c".repeat(4096), 1), { onToken() {}, onFinish() {} })).toThrow(
      RangeError,
    );
  });

  it("frees a cancelled sequence's place and blocks", () => {
    const engine = scheduler({ maxNumSeqs: 1 });
    const running = engine.submit(spec("a".repeat(400), 100), { onToken() {}, onFinish() {} });
    const waiting = track(engine, spec("b".repeat(400), 2));
    engine.step();
    engine.cancel(running);
    expect(engine.cache.usedBlocks).toBe(0);
    engine.drain();
    expect(waiting.finishedAt).toBeDefined();
  });

  it("repeats exactly under the same seed, and jitters differently under another", () => {
    const run = (seed: number) => {
      const engine = new Scheduler({
        profile: LLAMA_3_1_8B_H100,
        kvCacheTokens: 20_000,
        maxNumSeqs: 8,
        maxBatchedTokens: 2048,
        seed,
      });
      const records = [];
      for (let i = 0; i < 20; i++)
        records.push(track(engine, spec(`${SYSTEM.slice(0, 4000)} turn ${i}`, 5 + i), i * 3));
      engine.drain();
      return records.map((record) => record.tokens);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});
