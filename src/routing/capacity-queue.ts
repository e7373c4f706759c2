/**
 * Where requests wait when every backend of their model is at its concurrency cap. The queue is
 * bounded in length and in time; a waiter is woken (FIFO among those the freed backend can serve)
 * as soon as a slot frees, and then re-runs routing. A watcher (SLO admission, slo-admission.ts)
 * waits in the same bounded queue but takes no slot: every release it serves wakes it, and it never
 * takes the wake-up a slot waiter needs.
 * @module
 */
import type { BackendState } from "./backend.js";
import { type AbortSource, waitInQueue } from "./queue-wait.js";

interface Waiter {
  serves: (backend: BackendState) => boolean;
  wake: () => void;
  /** Woken by every release it serves, besides the one slot waiter that release is for. */
  watches: boolean;
}

export type { AbortSource } from "./queue-wait.js";

export type WaitOutcome = "woken" | "full" | "timeout" | "aborted";

export class CapacityQueue {
  readonly #maxLength: number;
  #waiters: Waiter[] = [];

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  get length(): number {
    return this.#waiters.length;
  }

  /** Waits for a slot on a backend that `serves` accepts; never longer than `timeoutMs`. */
  wait(
    serves: (backend: BackendState) => boolean,
    timeoutMs: number,
    signal: AbortSource,
  ): Promise<WaitOutcome> {
    return this.#enqueue(serves, timeoutMs, signal, false);
  }

  /**
   * Waits for any release on a backend that `serves` accepts, without claiming the freed slot; never
   * longer than `timeoutMs`. Counts against the queue's length like a wait.
   */
  watch(
    serves: (backend: BackendState) => boolean,
    timeoutMs: number,
    signal: AbortSource,
  ): Promise<WaitOutcome> {
    return this.#enqueue(serves, timeoutMs, signal, true);
  }

  #enqueue(
    serves: (backend: BackendState) => boolean,
    timeoutMs: number,
    signal: AbortSource,
    watches: boolean,
  ): Promise<WaitOutcome> {
    if (this.#waiters.length >= this.#maxLength || timeoutMs <= 0) return Promise.resolve("full");
    if (signal.aborted) return Promise.resolve("aborted");
    const waiter: Waiter = { serves, wake: () => {}, watches };
    return waitInQueue<WaitOutcome>({
      join: (settle) => {
        waiter.wake = () => settle("woken");
        this.#waiters.push(waiter);
      },
      leave: () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
      },
      timeoutMs,
      signal,
      timedOut: "timeout",
      aborted: "aborted",
    });
  }

  /** A slot freed on `backend`: wake the longest-waiting request it can serve, and every watcher it serves. */
  released(backend: BackendState): void {
    if (this.#waiters.length === 0) return;
    if (!this.#waiters.some((candidate) => candidate.watches)) {
      this.#waiters.find((candidate) => candidate.serves(backend))?.wake();
      return;
    }
    const woken: Waiter[] = [];
    let slotTaken = false;
    for (const candidate of this.#waiters) {
      if (!candidate.serves(backend)) continue;
      if (candidate.watches) woken.push(candidate);
      else if (!slotTaken) {
        slotTaken = true;
        woken.push(candidate);
      }
    }
    // Waking removes a waiter from the list: wake after the walk.
    for (const waiter of woken) waiter.wake();
  }
}
