/**
 * The admission queue in front of the model: at most `maxConcurrent` requests hold a slot (one context
 * sequence each), up to `maxQueue` more wait in FIFO order, and anything beyond is refused at once with
 * a {@link QueueFullError} (a 429 with `Retry-After`). Pure: no timers, no I/O; the clock is injected,
 * so tests drive it with a fake one.
 *
 * Invariants:
 * - A lease is released at most once: a second `release()` does nothing, so a `finally` that runs after
 *   an earlier release cannot free someone else's slot.
 * - A request whose signal aborts while it waits leaves the queue at once and never gets a slot; the
 *   next waiter moves up.
 * - `active <= maxConcurrent` and `waiting <= maxQueue` at every moment.
 * @module
 */

/** The limits of a queue. */
export interface QueueLimits {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
}

/** `/queue/status` (as the Python model server had it): what runs, what waits, the limits, and what happened so far. */
export interface QueueSnapshot {
  readonly active: number;
  readonly waiting: number;
  readonly max_concurrent: number;
  readonly max_queue: number;
  /** Requests that held a slot and gave it back (whatever the outcome). */
  readonly processed: number;
  /** Requests refused because the queue was full. */
  readonly rejected: number;
  /** Requests whose client went away while they waited. */
  readonly cancelled: number;
}

/** A held slot. */
export interface Lease {
  /** How long the request waited for its slot, in the clock's unit (ms). */
  readonly waitedMs: number;
  /** Gives the slot back; only the first call counts. */
  release(): void;
}

/** Thrown (as a rejection) when the queue is full. */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  constructor(
    message: string,
    /** When a client should try again, in whole seconds (≥ 1). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

interface Waiter {
  readonly enqueuedAt: number;
  readonly resolve: (lease: Lease) => void;
  readonly detach: () => void;
}

/** Weight of the newest service time in the running average behind `Retry-After`. */
const EWMA_ALPHA = 0.2;
const MAX_RETRY_AFTER_SECONDS = 60;

export class RequestQueue {
  readonly #limits: QueueLimits;
  readonly #now: () => number;
  readonly #waiting: Waiter[] = [];
  #active = 0;
  #processed = 0;
  #rejected = 0;
  #cancelled = 0;
  /** Running average of how long a slot is held (ms); undefined until the first release. */
  #serviceMs: number | undefined;

  constructor(limits: QueueLimits, now: () => number = () => performance.now()) {
    if (limits.maxConcurrent < 1) throw new RangeError("maxConcurrent must be at least 1");
    if (limits.maxQueue < 0) throw new RangeError("maxQueue must not be negative");
    this.#limits = limits;
    this.#now = now;
  }

  /**
   * A slot: at once when one is free and nobody waits, else after the requests ahead. Rejects with
   * {@link QueueFullError} when `maxQueue` requests already wait, and with the signal's reason when
   * `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) {
      this.#cancelled++;
      return Promise.reject(abortReason(signal));
    }
    if (this.#active < this.#limits.maxConcurrent && this.#waiting.length === 0) {
      return Promise.resolve(this.#grant(this.#now()));
    }
    if (this.#waiting.length >= this.#limits.maxQueue) {
      this.#rejected++;
      const message =
        `The server is busy: ${this.#active} requests are running and ${this.#waiting.length} are ` +
        "waiting. Try again later.";
      return Promise.reject(new QueueFullError(message, this.retryAfterSeconds()));
    }
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index < 0) return;
        this.#waiting.splice(index, 1);
        this.#cancelled++;
        reject(abortReason(signal!));
      };
      const waiter: Waiter = {
        enqueuedAt: this.#now(),
        resolve,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** The figures of `/queue/status`. */
  snapshot(): QueueSnapshot {
    return {
      active: this.#active,
      waiting: this.#waiting.length,
      max_concurrent: this.#limits.maxConcurrent,
      max_queue: this.#limits.maxQueue,
      processed: this.#processed,
      rejected: this.#rejected,
      cancelled: this.#cancelled,
    };
  }

  /**
   * Seconds until a request arriving now would likely get a slot: the requests ahead of it divided by
   * the slots, times the average time a slot is held (1 s before anything finished); from 1 to 60.
   */
  retryAfterSeconds(): number {
    const ahead = this.#waiting.length + 1;
    const rounds = Math.ceil(ahead / this.#limits.maxConcurrent);
    const seconds = Math.ceil((rounds * (this.#serviceMs ?? 1000)) / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  }

  #grant(enqueuedAt: number): Lease {
    this.#active++;
    const grantedAt = this.#now();
    let released = false;
    return {
      waitedMs: grantedAt - enqueuedAt,
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        this.#processed++;
        const held = this.#now() - grantedAt;
        this.#serviceMs =
          this.#serviceMs === undefined ? held : this.#serviceMs + EWMA_ALPHA * (held - this.#serviceMs);
        this.#next();
      },
    };
  }

  #next(): void {
    while (this.#active < this.#limits.maxConcurrent) {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) return;
      waiter.detach();
      waiter.resolve(this.#grant(waiter.enqueuedAt));
    }
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The request was aborted.", "AbortError");
}
