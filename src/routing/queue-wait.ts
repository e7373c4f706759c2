/**
 * The wait both gateway queues share (capacity-queue.ts, kv-gate.ts): a waiter joins its queue and
 * is settled exactly once, by the queue letting it through, by its timeout, or by its client leaving;
 * whichever comes first clears the timer, drops the abort listener and takes the waiter out of its
 * queue, so a settled waiter leaves nothing behind. How a waiter leaves its queue differs per queue:
 * the caller passes it in.
 * @module
 */
/** What tells a waiter its client went away: an `abort` event and an `aborted` flag. */
export interface AbortSource {
  readonly aborted: boolean;
  once(event: "abort", listener: () => void): unknown;
  removeListener(event: "abort", listener: () => void): unknown;
}

export interface QueueWait<T> {
  /** Puts the waiter in its queue; the queue calls `settle` to let it through. May settle at once. */
  join(settle: (outcome: T) => void): void;
  /** Takes the waiter out of its queue (a no-op if the queue took it out already). */
  leave(): void;
  timeoutMs: number;
  signal: AbortSource;
  /** What the wait resolves to when the timeout comes first, and when the client leaves first. */
  timedOut: T;
  aborted: T;
}

export function waitInQueue<T>(wait: QueueWait<T>): Promise<T> {
  const { signal } = wait;
  return new Promise<T>((resolve) => {
    let settled = false;
    const settle = (outcome: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeListener("abort", onAbort);
      wait.leave();
      resolve(outcome);
    };
    const onAbort = () => settle(wait.aborted);
    // Set before joining: a queue that lets the waiter through at once clears it in `settle`.
    const timer = setTimeout(() => settle(wait.timedOut), Math.max(0, wait.timeoutMs));
    signal.once("abort", onAbort);
    wait.join(settle);
  });
}
