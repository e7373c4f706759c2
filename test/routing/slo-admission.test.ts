/**
 * SLO admission against fake backends and a fake queue on an injected clock: nothing sleeps, each
 * wait in the queue moves the clock by what the queue says happened.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { BackendState, BackendView } from "../../src/routing/backend.js";
import type { AbortSource, WaitOutcome } from "../../src/routing/capacity-queue.js";
import { type ReleaseWatch, SloAdmission, sloTargetFor } from "../../src/routing/slo-admission.js";

interface FakeBackend extends BackendView {
  inflight: number;
  queueDepth: number;
}

function backend(id: string, inflight = 0, queueDepth = 0): FakeBackend {
  return {
    id,
    url: `http://${id}`,
    kind: "openai",
    weight: 1,
    maxConnections: 0,
    inflight,
    queueDepth,
    models: ["m"],
  };
}

class Clock {
  ms = 1000;
  readonly now = () => this.ms;
}

/** Each watch: the test's step runs (it may change backends), the clock moves, the outcome is returned. */
class FakeQueue implements ReleaseWatch {
  readonly timeouts: number[] = [];
  constructor(
    readonly clock: Clock,
    readonly step: (call: number, timeoutMs: number) => { outcome: WaitOutcome; elapsedMs: number },
  ) {}
  watch(_serves: (backend: BackendState) => boolean, timeoutMs: number): Promise<WaitOutcome> {
    this.timeouts.push(timeoutMs);
    const { outcome, elapsedMs } = this.step(this.timeouts.length, timeoutMs);
    this.clock.ms += elapsedMs;
    return Promise.resolve(outcome);
  }
}

class Signal extends EventEmitter implements AbortSource {
  aborted = false;
}

const target = { sloMs: 1000, queueTimeoutMs: 300 };
const servesAll = () => true;

function admission(step: FakeQueue["step"]) {
  const clock = new Clock();
  const queue = new FakeQueue(clock, step);
  const slo = new SloAdmission(queue, { now: clock.now, pollMs: 100, decayMs: 10_000 });
  return { clock, queue, slo };
}

const timeoutStep: FakeQueue["step"] = (_call, timeoutMs) => ({ outcome: "timeout", elapsedMs: timeoutMs });

describe("expected wait", () => {
  it("is 0 for a backend never sampled, so it is explored at once", () => {
    const { slo } = admission(timeoutStep);
    expect(slo.expectedWaitMs(backend("a", 50, 50))).toBe(0);
    expect(slo.admitsNow(target, [backend("a", 50, 50)])).toBe(true);
  });

  it("scales the TTFT estimate by the load now over the load it was sampled at", () => {
    const { slo } = admission(timeoutStep);
    slo.observe("a", 400, 1);
    expect(slo.expectedWaitMs(backend("a"))).toBeCloseTo(400);
    // Two of ours in flight and three the engine reports from other clients: 6 with this one.
    expect(slo.expectedWaitMs(backend("a", 2, 3))).toBeCloseTo(2400);
  });

  it("blends samples with weight 0.3 and relaxes toward zero between them", () => {
    const { slo, clock } = admission(timeoutStep);
    slo.observe("a", 1000, 2);
    slo.observe("a", 0, 2);
    expect(slo.expectedWaitMs(backend("a", 1))).toBeCloseTo(700);
    clock.ms += 10_000;
    expect(slo.expectedWaitMs(backend("a", 1))).toBeCloseTo(700 * Math.exp(-1));
    expect(slo.snapshot().a?.sample_load).toBe(2);
  });

  it("ignores samples that are not times", () => {
    const { slo } = admission(timeoutStep);
    slo.observe("a", Number.NaN, 1);
    slo.observe("a", -5, 1);
    expect(slo.snapshot()).toEqual({});
  });

  it("forgets a removed backend", () => {
    const { slo } = admission(timeoutStep);
    slo.observe("a", 5000, 1);
    slo.forget("a");
    expect(slo.expectedWaitMs(backend("a", 3))).toBe(0);
  });
});

describe("waitForRoom", () => {
  it("admits at once when some backend's expected wait is within the SLO", async () => {
    const { slo, queue } = admission(timeoutStep);
    slo.observe("slow", 5000, 1);
    slo.observe("fast", 200, 1);
    const candidates = [backend("slow"), backend("fast", 1)];
    expect(slo.admitsNow(target, candidates)).toBe(true);
    const result = await slo.waitForRoom(target, () => candidates, servesAll, new Signal());
    expect(result).toEqual({ kind: "admitted", waitedMs: 0 });
    expect(queue.timeouts).toEqual([]);
  });

  it("queues while every backend is above, and admits when the load drops", async () => {
    const busy = backend("a", 4);
    const { slo, queue } = admission((call) => {
      // The second release brings the backend's load back within the target.
      if (call === 2) busy.inflight = 1;
      return { outcome: "woken", elapsedMs: 40 };
    });
    slo.observe("a", 400, 1);
    expect(slo.admitsNow(target, [busy])).toBe(false);
    const result = await slo.waitForRoom(target, () => [busy], servesAll, new Signal());
    expect(result.kind).toBe("admitted");
    expect(result.kind === "admitted" && result.waitedMs).toBe(80);
    expect(queue.timeouts).toEqual([100, 100]);
  });

  it("sheds at the queue timeout with a Retry-After of the excess, in whole seconds", async () => {
    const { slo, queue } = admission(timeoutStep);
    slo.observe("a", 1000, 1);
    slo.observe("b", 2000, 1);
    const candidates = [backend("a", 3), backend("b", 3)];
    const result = await slo.waitForRoom(target, () => candidates, servesAll, new Signal());
    expect(queue.timeouts).toEqual([100, 100, 100]);
    expect(result.kind).toBe("shed");
    // The best expected wait is a's, about 4 s (relaxed a little in 300 ms): 3 s over the target.
    expect(result.kind === "shed" && result.retryAfterSeconds).toBe(3);
    expect(result.kind === "shed" && result.waitedMs).toBe(300);
  });

  it("never waits past the request's own deadline", async () => {
    const { slo, queue, clock } = admission(timeoutStep);
    slo.observe("a", 5000, 1);
    const result = await slo.waitForRoom(
      target,
      () => [backend("a")],
      servesAll,
      new Signal(),
      clock.ms + 150,
    );
    expect(queue.timeouts).toEqual([100, 50]);
    expect(result.kind).toBe("shed");
  });

  it("sheds at once when the queue is full", async () => {
    const { slo, queue } = admission(() => ({ outcome: "full", elapsedMs: 0 }));
    slo.observe("a", 5000, 1);
    const result = await slo.waitForRoom(target, () => [backend("a")], servesAll, new Signal());
    expect(queue.timeouts).toHaveLength(1);
    expect(result).toMatchObject({ kind: "shed", waitedMs: 0 });
  });

  it("ends without a verdict when the client leaves", async () => {
    const { slo } = admission(() => ({ outcome: "aborted", elapsedMs: 10 }));
    slo.observe("a", 5000, 1);
    const result = await slo.waitForRoom(target, () => [backend("a")], servesAll, new Signal());
    expect(result).toEqual({ kind: "aborted" });
  });

  it("lets the request through when no backend is eligible any more (routing answers that)", async () => {
    const { slo } = admission(timeoutStep);
    slo.observe("a", 5000, 1);
    let candidates = [backend("a")];
    const result = slo.waitForRoom(
      target,
      () => {
        const now = candidates;
        candidates = [];
        return now;
      },
      servesAll,
      new Signal(),
    );
    expect((await result).kind).toBe("admitted");
  });
});

describe("sloTargetFor", () => {
  const base = { ttft_slo: 0, model_ttft_slos: {}, slo_queue_timeout: undefined };

  it("is off by default", () => {
    expect(sloTargetFor(base, "m")).toBeUndefined();
  });

  it("takes the global target, a model's override, and 0 as off", () => {
    const config = { ...base, ttft_slo: 2, model_ttft_slos: { fast: 0.5, batch: 0 } };
    expect(sloTargetFor(config, "m")).toEqual({ sloMs: 2000, queueTimeoutMs: 2000 });
    expect(sloTargetFor(config, "fast")).toEqual({ sloMs: 500, queueTimeoutMs: 500 });
    expect(sloTargetFor(config, "batch")).toBeUndefined();
  });

  it("waits slo_queue_timeout when set", () => {
    expect(sloTargetFor({ ...base, ttft_slo: 1, slo_queue_timeout: 0.25 }, "m")).toEqual({
      sloMs: 1000,
      queueTimeoutMs: 250,
    });
  });
});
