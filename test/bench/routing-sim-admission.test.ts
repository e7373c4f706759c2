import { describe, expect, it } from "vitest";
import { type AdmissionSpec, EngineAdmission } from "../../bench/routing-sim-admission.js";
import { simulateRun } from "../../bench/routing-sim-run.js";
import { LLAMA_3_1_8B_H100 } from "../../src/mock/engine-sim/profiles.js";
import { createStrategy } from "../../src/routing/strategies/factory.js";

/** 10 blocks of 16 tokens at a capacity fraction of 1. */
const TEN_BLOCKS = 160;
const fifo: AdmissionSpec = { capacityFraction: 1, order: "fifo", holdMs: 1000 };

/** A turn of `blocks` prompt blocks (hashes from `first`) that decodes one block. */
const turn = (session: string, first: number, blocks: number) => ({
  session,
  blockHashes: Array.from({ length: blocks }, (_, index) => first + index),
  outputTokens: 16,
});

describe("kv admission: the gateway holds a turn back while its engine's working set would overflow", () => {
  it("admits what fits, and holds back the turn that would overflow the cache", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS, fifo);
    const a = turn("a", 100, 4);
    const b = turn("b", 200, 4);
    gateway.enqueue(a);
    gateway.enqueue(b);
    // a: 4 prompt + 1 decode = 5 blocks; b would make 10: fits exactly.
    expect(gateway.admit(0)).toEqual([a, b]);
    const c = turn("c", 300, 1);
    gateway.enqueue(c);
    expect(gateway.admit(0)).toEqual([]);
    expect(gateway.queued).toBe(1);
  });

  it("counts a session's history while it thinks, and lets the queue through when the hold ages out", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS, fifo);
    const a = turn("a", 100, 4);
    const b = turn("b", 200, 4);
    gateway.enqueue(a);
    gateway.enqueue(b);
    gateway.admit(0);
    gateway.finished(a, 50);
    // a's 4 blocks stay counted until 1,050; its decode block is freed.
    expect(gateway.workingSetBlocks).toBe(9);
    const c = turn("c", 300, 3);
    gateway.enqueue(c);
    expect(gateway.admit(60)).toEqual([]);
    expect(gateway.nextWakeMs(60)).toBe(1050);
    expect(gateway.admit(1050)).toEqual([c]);
  });

  it("counts blocks the sessions share once, as the engine's prefix cache holds them", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS, fifo);
    // Both share the 6-block system prompt 1..6, each adds one block of its own.
    const a = { ...turn("a", 1, 6), blockHashes: [1, 2, 3, 4, 5, 6, 70] };
    const b = { ...turn("b", 1, 6), blockHashes: [1, 2, 3, 4, 5, 6, 80] };
    gateway.enqueue(a);
    gateway.enqueue(b);
    expect(gateway.admit(0)).toEqual([a, b]);
    expect(gateway.workingSetBlocks).toBe(8 + 2);
  });

  it("counts a returning session's longer prompt over its held history, not beside it", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS, fifo);
    const first = turn("a", 100, 4);
    gateway.enqueue(first);
    gateway.admit(0);
    gateway.finished(first, 10);
    const next = turn("a", 100, 9);
    gateway.enqueue(next);
    // 9 prompt blocks, 4 of them held already, + 1 decode = 10.
    expect(gateway.admit(20)).toEqual([next]);
    expect(gateway.workingSetBlocks).toBe(10);
  });

  it("admits a turn larger than the budget when its engine runs nothing, so it cannot starve", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS, fifo);
    const huge = turn("a", 100, 30);
    gateway.enqueue(huge);
    expect(gateway.admit(0)).toEqual([huge]);
  });

  it("cached-first admits the queued turn whose history is held before an earlier cold one", () => {
    for (const order of ["fifo", "cached-first"] as const) {
      const gateway = new EngineAdmission(TEN_BLOCKS * 2, { ...fifo, order });
      const warm = turn("warm", 100, 4);
      gateway.enqueue(warm);
      gateway.admit(0);
      gateway.finished(warm, 10);
      const blocker = turn("blocker", 900, 9);
      gateway.enqueue(blocker);
      gateway.admit(10);
      // 4 held + 10 running = 14 of 20 blocks: room for one of the two below, not both.
      const cold = turn("cold", 500, 4);
      const back = turn("warm", 100, 5);
      gateway.enqueue(cold);
      gateway.enqueue(back);
      expect(gateway.admit(20)).toEqual(order === "fifo" ? [cold] : [back]);
    }
  });

  it("cached-first with aging lets a turn that waited long enough go first, cold or not", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS * 2, { ...fifo, order: "cached-first", agingMs: 100 });
    const warm = turn("warm", 100, 4);
    gateway.enqueue(warm, 0);
    gateway.admit(0);
    gateway.finished(warm, 10);
    gateway.enqueue(turn("blocker", 900, 9), 10);
    gateway.admit(10);
    const cold = turn("cold", 500, 4);
    const back = turn("warm", 100, 5);
    gateway.enqueue(cold, 20);
    gateway.enqueue(back, 50);
    expect(gateway.nextWakeMs(50)).toBe(120);
    expect(gateway.admit(120)).toEqual([cold]);
  });

  it("a capacity fraction scales the budget", () => {
    const gateway = new EngineAdmission(TEN_BLOCKS, { ...fifo, capacityFraction: 0.5 });
    gateway.enqueue(turn("a", 100, 3));
    gateway.enqueue(turn("b", 200, 1));
    expect(gateway.admit(0)).toHaveLength(1);
  });
});

describe("routing-sim with kv admission", () => {
  const spec = {
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
    const result = simulateRun(spec);
    expect(result).toEqual(simulateRun(spec));
    expect(result.outputTokensPerS).toBeGreaterThan(0);
    expect(result.gatewayWaitMeanMs).toBeGreaterThan(0);
    expect(result.ttftP99Ms).toBeGreaterThanOrEqual(result.gatewayWaitMeanMs);
  });

  it("waits nowhere but at the engine without admission", () => {
    expect(simulateRun({ ...spec, admission: undefined }).gatewayWaitMeanMs).toBe(0);
  });
});
