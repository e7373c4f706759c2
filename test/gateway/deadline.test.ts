import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AttemptSignal,
  continuationBudgetMs,
  MIN_RETRY_MS,
  RequestDeadline,
  undiciTimeout,
} from "../../src/gateway/deadline.js";
import { ClientGone } from "../../src/upstream/client-gone.js";

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("RequestDeadline", () => {
  it("gives each attempt the smaller of attempt_timeout and the time left", () => {
    const clock = manualClock();
    const deadline = RequestDeadline.start({ request_timeout: 2, attempt_timeout: 0.5 }, false, clock.now);
    expect(deadline.attemptBudgetMs()).toBe(500);
    clock.advance(500);
    expect(deadline.attemptBudgetMs()).toBe(500);
    clock.advance(1_200);
    expect(deadline.remainingMs()).toBe(300);
    expect(deadline.attemptBudgetMs()).toBe(300);
  });

  it("without attempt_timeout, the first attempt may use the whole deadline, and a retry only what is left", () => {
    const clock = manualClock();
    const deadline = RequestDeadline.start({ request_timeout: 2, attempt_timeout: 0 }, false, clock.now);
    expect(deadline.attemptBudgetMs()).toBe(2_000);
    clock.advance(1_900);
    expect(deadline.attemptBudgetMs()).toBe(100);
  });

  it("starts no retry with less than MIN_RETRY_MS left, and is expired at the deadline", () => {
    const clock = manualClock();
    const deadline = RequestDeadline.start({ request_timeout: 1, attempt_timeout: 0 }, false, clock.now);
    clock.advance(1_000 - MIN_RETRY_MS);
    expect(deadline.allowsRetry()).toBe(true);
    expect(deadline.expired()).toBe(false);
    clock.advance(1);
    expect(deadline.allowsRetry()).toBe(false);
    clock.advance(MIN_RETRY_MS);
    expect(deadline.expired()).toBe(true);
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.attemptBudgetMs()).toBe(0);
  });

  it("a request_timeout of 0 means no deadline: attempts are limited by attempt_timeout alone", () => {
    const clock = manualClock();
    const unbounded = RequestDeadline.start({ request_timeout: 0, attempt_timeout: 0 }, false, clock.now);
    clock.advance(10 ** 9);
    expect(unbounded.attemptBudgetMs()).toBe(Number.POSITIVE_INFINITY);
    expect(unbounded.allowsRetry()).toBe(true);
    expect(unbounded.expired()).toBe(false);
    const perAttempt = RequestDeadline.start({ request_timeout: 0, attempt_timeout: 3 }, false, clock.now);
    expect(perAttempt.attemptBudgetMs()).toBe(3_000);
  });

  it("holds a streaming request's attempts to first_byte_timeout, and only those", () => {
    const clock = manualClock();
    const settings = { request_timeout: 10, attempt_timeout: 0, first_byte_timeout: 0.5 };
    const streamed = RequestDeadline.start(settings, true, clock.now);
    expect(streamed.attemptBudgetMs()).toBe(500);
    clock.advance(9_800);
    expect(streamed.attemptBudgetMs()).toBe(200);
    expect(streamed.stallMs).toBe(Number.POSITIVE_INFINITY);
    // A non-streamed answer starts only when complete: its wait is not cut, only reported as a stall.
    const whole = RequestDeadline.start(settings, false, clock.now);
    expect(whole.attemptBudgetMs()).toBe(10_000);
    expect(whole.stallMs).toBe(500);
  });

  it("takes the smaller of attempt_timeout and first_byte_timeout; 0 turns first_byte_timeout off", () => {
    const clock = manualClock();
    const tighter = { request_timeout: 10, attempt_timeout: 0.3, first_byte_timeout: 0.5 };
    expect(RequestDeadline.start(tighter, true, clock.now).attemptBudgetMs()).toBe(300);
    const off = { request_timeout: 10, attempt_timeout: 0, first_byte_timeout: 0 };
    expect(RequestDeadline.start(off, true, clock.now).attemptBudgetMs()).toBe(10_000);
  });
});

describe("timeouts handed to undici", () => {
  it("spells no limit as 0 and never rounds a budget down to 0", () => {
    expect(undiciTimeout(Number.POSITIVE_INFINITY)).toBe(0);
    expect(undiciTimeout(0)).toBe(1);
    expect(undiciTimeout(1_234.2)).toBe(1_235);
  });

  it("a continuation waits the smaller of attempt_timeout and first_byte_timeout, else request_timeout", () => {
    expect(continuationBudgetMs({ request_timeout: 5, attempt_timeout: 2 })).toBe(2_000);
    expect(continuationBudgetMs({ request_timeout: 5, attempt_timeout: 0 })).toBe(5_000);
    expect(continuationBudgetMs({ request_timeout: 0, attempt_timeout: 0 })).toBe(Number.POSITIVE_INFINITY);
    expect(continuationBudgetMs({ request_timeout: 5, attempt_timeout: 2, first_byte_timeout: 1 })).toBe(
      1_000,
    );
    expect(continuationBudgetMs({ request_timeout: 5, attempt_timeout: 0, first_byte_timeout: 1 })).toBe(
      1_000,
    );
  });
});

describe("AttemptSignal", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts as timed out when the budget runs out before the answer starts", () => {
    vi.useFakeTimers();
    const client = new ClientGone();
    const signal = new AttemptSignal(client, 250);
    const onAbort = vi.fn();
    signal.once("abort", onAbort);
    vi.advanceTimersByTime(249);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(onAbort).toHaveBeenCalledOnce();
    expect(signal.timedOut).toBe(true);
    signal.dispose();
    expect(client.listenerCount("abort")).toBe(0);
  });

  it("once disarmed, only the client leaving aborts it", () => {
    vi.useFakeTimers();
    const client = new ClientGone();
    const signal = new AttemptSignal(client, 250);
    signal.disarm();
    vi.advanceTimersByTime(10_000);
    expect(signal.aborted).toBe(false);
    client.abort();
    expect(signal.aborted).toBe(true);
    expect(signal.timedOut).toBe(false);
    signal.dispose();
  });

  it("a client gone before the budget ran out is not a timeout", () => {
    vi.useFakeTimers();
    const client = new ClientGone();
    client.abort();
    const signal = new AttemptSignal(client, 100);
    expect(signal.aborted).toBe(true);
    vi.advanceTimersByTime(200);
    expect(signal.timedOut).toBe(false);
    signal.dispose();
  });

  it("tells the watcher of a stall, then runs on to the budget", () => {
    vi.useFakeTimers();
    const onStall = vi.fn();
    const signal = new AttemptSignal(new ClientGone(), 1_000, 300, { onStall });
    vi.advanceTimersByTime(299);
    expect(onStall).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onStall).toHaveBeenCalledOnce();
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(699);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.timedOut).toBe(true);
    expect(onStall).toHaveBeenCalledOnce();
    signal.dispose();
  });

  it("without a budget, reports the stall and sets no timer after it", () => {
    vi.useFakeTimers();
    const onStall = vi.fn();
    const signal = new AttemptSignal(new ClientGone(), Number.POSITIVE_INFINITY, 300, { onStall });
    vi.advanceTimersByTime(300);
    expect(onStall).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
    expect(signal.aborted).toBe(false);
    signal.dispose();
  });

  it("reports no stall once disarmed, nor one at or past the budget (the timeout says it)", () => {
    vi.useFakeTimers();
    const onStall = vi.fn();
    const answered = new AttemptSignal(new ClientGone(), 1_000, 300, { onStall });
    vi.advanceTimersByTime(100);
    answered.disarm();
    vi.advanceTimersByTime(2_000);
    const late = new AttemptSignal(new ClientGone(), 200, 300, { onStall });
    vi.advanceTimersByTime(500);
    expect(late.timedOut).toBe(true);
    expect(onStall).not.toHaveBeenCalled();
    answered.dispose();
    late.dispose();
  });

  it("sets no timer without a budget", () => {
    vi.useFakeTimers();
    const signal = new AttemptSignal(new ClientGone(), Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    signal.dispose();
  });
});
