/**
 * The hedge delay: `hedge_after` until a model has MIN_SAMPLES answer times, then at least
 * HEDGE_P99_FACTOR times their p99 over the last WINDOW; and the race between two attempts' signals.
 */
import { describe, expect, it } from "vitest";
import { AttemptRace } from "../../src/gateway/hedge.js";
import {
  HEDGE_P99_FACTOR,
  HedgeDelays,
  hedgeAfterSeconds,
  MAX_MODELS,
  MIN_SAMPLES,
  WINDOW,
} from "../../src/gateway/hedge-delay.js";
import { ClientGone } from "../../src/upstream/client-gone.js";

describe("hedgeAfterSeconds", () => {
  it("is the model's own entry when it has one, 0 included, else hedge_after", () => {
    const config = { hedge_after: 30, model_hedge_after: { paid: 0, long: 120 } };
    expect(hedgeAfterSeconds(config, "paid")).toBe(0);
    expect(hedgeAfterSeconds(config, "long")).toBe(120);
    expect(hedgeAfterSeconds(config, "local")).toBe(30);
  });
});

describe("HedgeDelays", () => {
  it("is hedge_after while the model has too few answers, and off at 0", () => {
    const delays = new HedgeDelays();
    expect(delays.delayMs("m", 30)).toBe(30_000);
    for (let i = 0; i < MIN_SAMPLES - 1; i++) delays.record("m", 60_000);
    expect(delays.delayMs("m", 30)).toBe(30_000);
    expect(delays.delayMs("m", 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("rises to a multiple of the p99 of a model whose answers are long, per model", () => {
    const delays = new HedgeDelays();
    for (let i = 1; i <= 100; i++) delays.record("long", i * 1000);
    // p99 of 1..100 s is 99 s.
    expect(delays.delayMs("long", 30)).toBe(HEDGE_P99_FACTOR * 99_000);
    expect(delays.delayMs("other", 30)).toBe(30_000);
  });

  it("reads the p99 as the sorted window would, whatever the order and repeats of the answer times", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (const count of [MIN_SAMPLES, 57, 100, 101, WINDOW, WINDOW + 40]) {
      const delays = new HedgeDelays();
      const times: number[] = [];
      // Few distinct values, so ties sit at the percentile too.
      for (let i = 0; i < count; i++) {
        const ms = 1_000 * (1 + (next() % 40));
        times.push(ms);
        delays.record("m", ms);
      }
      const window = times.slice(-WINDOW).sort((a, b) => a - b);
      const p99 = window[Math.min(window.length - 1, Math.ceil(window.length * 0.99) - 1)]!;
      expect(delays.delayMs("m", 0.001), `count ${count}`).toBe(HEDGE_P99_FACTOR * p99);
    }
  });

  it("never goes below hedge_after for a model whose answers are short", () => {
    const delays = new HedgeDelays();
    for (let i = 0; i < 50; i++) delays.record("short", 200);
    expect(delays.delayMs("short", 30)).toBe(30_000);
    expect(delays.delayMs("short", 0.1)).toBe(HEDGE_P99_FACTOR * 200);
  });

  it("tracks at most MAX_MODELS models, forgetting the oldest first", () => {
    const delays = new HedgeDelays();
    const fill = (model: string) => {
      for (let i = 0; i < MIN_SAMPLES; i++) delays.record(model, 100_000);
    };
    fill("first");
    for (let i = 1; i < MAX_MODELS; i++) delays.record(`m${i}`, 1);
    expect(delays.delayMs("first", 1)).toBe(HEDGE_P99_FACTOR * 100_000);
    fill("one-more");
    expect(delays.delayMs("first", 1)).toBe(1000);
    expect(delays.delayMs("one-more", 1)).toBe(HEDGE_P99_FACTOR * 100_000);
  });

  it("forgets answers older than the window", () => {
    const delays = new HedgeDelays();
    for (let i = 0; i < WINDOW; i++) delays.record("m", 100_000);
    expect(delays.delayMs("m", 1)).toBe(HEDGE_P99_FACTOR * 100_000);
    for (let i = 0; i < WINDOW; i++) delays.record("m", 1000);
    expect(delays.delayMs("m", 1)).toBe(HEDGE_P99_FACTOR * 1000);
  });
});

describe("AttemptRace", () => {
  it("lets the first claim win and aborts the others, reporting a stall only for one sent earlier", () => {
    const client = new ClientGone();
    const race = new AttemptRace(client);
    const first = race.enter();
    const hedge = race.enter();
    const stalls: string[] = [];
    first.watch({ onStall: () => stalls.push("first") });
    hedge.watch({ onStall: () => stalls.push("hedge") });
    expect(hedge.claim()).toBe(true);
    expect(hedge.claim()).toBe(true);
    expect(first.claim()).toBe(false);
    expect(first.aborted && first.lost).toBe(true);
    expect(hedge.aborted).toBe(false);
    expect(stalls).toEqual(["first"]);
    race.dispose();
  });

  it("does not hold the loss against a hedge sent after the winner", () => {
    const race = new AttemptRace(new ClientGone());
    const first = race.enter();
    const hedge = race.enter();
    const stalls: string[] = [];
    hedge.watch({ onStall: () => stalls.push("hedge") });
    expect(first.claim()).toBe(true);
    expect(hedge.lost).toBe(true);
    expect(stalls).toEqual([]);
  });

  it("aborts every entrant when the client leaves, none of them lost", () => {
    const client = new ClientGone();
    const race = new AttemptRace(client);
    const first = race.enter();
    const hedge = race.enter();
    client.abort();
    expect(first.aborted && hedge.aborted).toBe(true);
    expect(first.lost || hedge.lost).toBe(false);
    race.dispose();
    expect(client.listenerCount("abort")).toBe(0);
  });
});
