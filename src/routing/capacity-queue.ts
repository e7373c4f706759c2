/**
 * Where requests wait when every backend of their model is at its concurrency cap. The queue is
 * bounded in length and in time; a waiter is woken (FIFO among those the freed backend can serve)
 * as soon as a slot frees, and then re-runs routing.
 * @module
 */
import type { BackendState } from "./backend.js";

interface Waiter {
  serves: (backend: BackendState) => boolean;
  wake: () => void;
}

/** What tells a waiter its client went away: an `abort` event and an `aborted` flag. */
export interface AbortSource {
  readonly aborted: boolean;
  once(event: "abort", listener: () => void): unknown;
  removeListener(event: "abort", listener: () => void): unknown;
}

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
    if (this.#waiters.length >= this.#maxLength || timeoutMs <= 0) return Promise.resolve("full");
    if (signal.aborted) return Promise.resolve("aborted");
    return new Promise<WaitOutcome>((resolve) => {
      const finish = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        signal.removeListener("abort", onAbort);
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        resolve(outcome);
      };
      const onAbort = () => finish("aborted");
      const waiter: Waiter = { serves, wake: () => finish("woken") };
      const timer = setTimeout(() => finish("timeout"), timeoutMs);
      signal.once("abort", onAbort);
      this.#waiters.push(waiter);
    });
  }

  /** A slot freed on `backend`: wake the longest-waiting request it can serve. */
  released(backend: BackendState): void {
    if (this.#waiters.length === 0) return;
    const waiter = this.#waiters.find((candidate) => candidate.serves(backend));
    waiter?.wake();
  }
}
