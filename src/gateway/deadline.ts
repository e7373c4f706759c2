/**
 * A proxied request's time budget. `request_timeout` is one deadline for the whole request until its
 * answer starts (response headers accepted from a backend), however many attempts it takes;
 * `attempt_timeout` caps each attempt within it, so a hung backend can be left for another one in
 * time. Each attempt gets `min(attempt_timeout, time left)`, and a retry starts only with at least
 * MIN_RETRY_MS left. A streaming request's attempts are tightened further by `first_byte_timeout`:
 * a live backend sends a stream's headers as soon as it starts it, so a longer silence is a stall,
 * not a long answer. It tightens the one attempt budget rather than adding a deadline of its own, so
 * an attempt still costs one timer, and since the budget ends when the headers come, a started
 * stream is never cut by it. A non-streamed answer starts only when it is complete, so there a
 * silence that long does not end the attempt (only `attempt_timeout` does); it is reported as a
 * stall for outlier detection (routing/outlier.ts) on the same timer. Once an answer has started, the deadline
 * no longer applies: a stream is limited by the idle gap allowed between body chunks, not by its
 * length.
 * @module
 */
// From perf_hooks, not the global: `globalThis.performance` is a getter, a call on every use.
import { performance } from "node:perf_hooks";
import type { GatewayConfig } from "../config/schema.js";
import { ClientGone } from "../upstream/client-gone.js";
import { requestTimer } from "./request-timer.js";

/** Least time left for which a retry is still worth starting: less is an attempt doomed to time out. */
export const MIN_RETRY_MS = 100;

type Clock = () => number;
const monotonic: Clock = () => performance.now();

/** A duration setting in milliseconds; 0 (the settings' "no limit") becomes Infinity. */
function limitMs(seconds: number): number {
  return seconds > 0 ? seconds * 1000 : Number.POSITIVE_INFINITY;
}

export class RequestDeadline {
  /** When the request arrived, on `clock`'s scale. */
  readonly startedAt: number;
  /** When the request's answer must have started, on `clock`'s scale; Infinity: never. */
  readonly at: number;
  readonly #clock: Clock;
  /** Most milliseconds one attempt may wait for its answer to start; Infinity: only the deadline. */
  readonly #attemptLimitMs: number;
  /**
   * After how many milliseconds without an answer an attempt that goes on waiting is reported as a
   * stall (a non-streamed request's `first_byte_timeout`); Infinity: never, as when the budget
   * itself ends at the stall.
   */
  readonly stallMs: number;

  constructor(
    requestTimeoutMs: number,
    attemptLimitMs: number,
    clock: Clock = monotonic,
    stallMs = Number.POSITIVE_INFINITY,
  ) {
    this.#clock = clock;
    this.startedAt = clock();
    this.at = this.startedAt + requestTimeoutMs;
    this.#attemptLimitMs = attemptLimitMs;
    this.stallMs = stallMs;
  }

  /**
   * The deadline of a request arriving now, from the settings (seconds, 0 meaning none); a
   * streaming request's attempts are also held to `first_byte_timeout`.
   */
  static start(config: TimeoutSettings, stream = false, clock: Clock = monotonic): RequestDeadline {
    const requestMs = limitMs(config.request_timeout);
    if (stream) return new RequestDeadline(requestMs, streamAttemptLimitMs(config), clock);
    const stallMs = limitMs(config.first_byte_timeout ?? 0);
    return new RequestDeadline(requestMs, limitMs(config.attempt_timeout), clock, stallMs);
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.#clock());
  }

  expired(): boolean {
    return this.remainingMs() === 0;
  }

  /** How long the attempt starting now may wait for its answer to start; Infinity: no limit. */
  attemptBudgetMs(): number {
    return Math.min(this.#attemptLimitMs, this.remainingMs());
  }

  /** Whether enough time is left to start another attempt after a failed one. */
  allowsRetry(): boolean {
    return this.remainingMs() >= MIN_RETRY_MS;
  }
}

/**
 * The wait for a continuation's answer (stream resume): past the deadline, only the attempt limit
 * of a streaming attempt, else `request_timeout`.
 */
export function continuationBudgetMs(config: TimeoutSettings): number {
  const limit = streamAttemptLimitMs(config);
  return Number.isFinite(limit) ? limit : limitMs(config.request_timeout);
}

/** The settings a deadline reads; `first_byte_timeout` absent reads as off. */
export type TimeoutSettings = Pick<GatewayConfig, "request_timeout" | "attempt_timeout"> &
  Partial<Pick<GatewayConfig, "first_byte_timeout">>;

/** A streaming attempt's own limit: the smaller of `attempt_timeout` and `first_byte_timeout`. */
function streamAttemptLimitMs(config: TimeoutSettings): number {
  return Math.min(limitMs(config.attempt_timeout), limitMs(config.first_byte_timeout ?? 0));
}

/** undici's spelling of a timeout: milliseconds, 0 for none. */
export function undiciTimeout(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms)) : 0;
}

/** Told when an attempt that goes on waiting has waited `stallMs` for its answer to start. */
export interface StallWatcher {
  onStall(): void;
}

/**
 * The abort signal of one attempt's upstream calls: fires when the client leaves, or when the
 * attempt's budget runs out before its answer started (then `timedOut` is set). undici takes it like
 * the request's ClientGone. With a `stallMs` below the budget, the same timer first tells the
 * watcher of the stall, then runs on to the budget.
 * undici's own headers timeout cannot stand in for it: undici runs that on coarse timers (about
 * half a second to a second late), and it does not cover opening the connection.
 */
export class AttemptSignal extends ClientGone {
  timedOut = false;
  readonly #client: ClientGone;
  readonly #forward = () => this.abort();
  #timer: NodeJS.Timeout | undefined;
  /** Set while the timer runs to the stall: what is left of the budget after it, and who to tell. */
  #watcher: StallWatcher | undefined;
  #afterStallMs = 0;

  constructor(
    client: ClientGone,
    budgetMs: number,
    stallMs = Number.POSITIVE_INFINITY,
    watcher?: StallWatcher,
  ) {
    super();
    this.#client = client;
    if (client.aborted) this.aborted = true;
    // `on`, not `once`: abort() runs once by itself, and dispose() removes the listener without
    // the wrapper `once` would allocate on every attempt.
    else client.on("abort", this.#forward);
    let firstMs = budgetMs;
    if (watcher && stallMs < budgetMs) {
      this.#watcher = watcher;
      this.#afterStallMs = budgetMs - stallMs;
      firstMs = stallMs;
    }
    if (Number.isFinite(firstMs)) this.#timer = requestTimer(this.#expire, Math.max(0, firstMs));
  }

  readonly #expire = () => {
    if (this.aborted) return;
    const watcher = this.#watcher;
    if (watcher) {
      this.#watcher = undefined;
      if (Number.isFinite(this.#afterStallMs)) this.#timer = requestTimer(this.#expire, this.#afterStallMs);
      watcher.onStall();
      return;
    }
    this.timedOut = true;
    this.abort();
  };

  /** The answer started: from now on only the client leaving aborts it. */
  disarm(): void {
    clearTimeout(this.#timer);
  }

  /** The attempt is over: no timer left behind, no listener left on the request's signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#client.off("abort", this.#forward);
  }
}
