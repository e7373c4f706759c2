/** The wait the gateway's queues share, on vitest's fake timers: nothing sleeps. */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AbortSource } from "../../src/routing/capacity-queue.js";
import { waitInQueue } from "../../src/routing/queue-wait.js";

class Signal extends EventEmitter implements AbortSource {
  aborted = false;
  abort() {
    this.aborted = true;
    this.emit("abort");
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A one-place queue that records how its waiter left. */
function queue(timeoutMs: number, signal = new Signal()) {
  let letThrough: ((outcome: string) => void) | undefined;
  const leaves: number[] = [];
  const wait = waitInQueue<string>({
    join: (settle) => {
      letThrough = settle;
    },
    leave: () => leaves.push(1),
    timeoutMs,
    signal,
    timedOut: "timeout",
    aborted: "aborted",
  });
  return { wait, signal, leaves, letThrough: (outcome: string) => letThrough!(outcome) };
}

describe("waitInQueue", () => {
  it("settles once with what the queue says, leaving no timer and no listener behind", async () => {
    const { wait, signal, leaves, letThrough } = queue(1000);
    letThrough("woken");
    letThrough("again");
    signal.abort();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await wait).toBe("woken");
    expect(leaves).toHaveLength(1);
    expect(signal.listenerCount("abort")).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("times out, taking the waiter out of its queue", async () => {
    const { wait, signal, leaves, letThrough } = queue(500);
    await vi.advanceTimersByTimeAsync(499);
    expect(leaves).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    letThrough("woken");
    expect(await wait).toBe("timeout");
    expect(leaves).toHaveLength(1);
    expect(signal.listenerCount("abort")).toBe(0);
  });

  it("ends as aborted when the client leaves, and clears its timer", async () => {
    const { wait, signal, leaves } = queue(500);
    signal.abort();
    expect(await wait).toBe("aborted");
    expect(leaves).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("may be let through while joining, and then holds no timer", async () => {
    const signal = new Signal();
    const wait = waitInQueue<string>({
      join: (settle) => settle("at once"),
      leave: () => {},
      timeoutMs: 0,
      signal,
      timedOut: "timeout",
      aborted: "aborted",
    });
    expect(await wait).toBe("at once");
    expect(vi.getTimerCount()).toBe(0);
    expect(signal.listenerCount("abort")).toBe(0);
  });
});
