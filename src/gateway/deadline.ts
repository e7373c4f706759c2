/**
 * A proxied request's time budget. `request_timeout` is one deadline for the whole request until its
 * answer starts (response headers accepted from a backend), however many attempts it takes;
 * `attempt_timeout` caps each attempt within it, so a hung backend can be left for another one in
 * time. Each attempt gets `min(attempt_timeout, time left)`, and a retry starts only with at least
 * MIN_RETRY_MS left. A streaming request's attempts are tightened further by `first_byte_timeout`:
 * a live backend sends a stream's headers as soon as it starts it, so a longer silence is a stall,
 * not a long answer. It tightens the one attempt budget rather than adding a deadline of its own, so
 * an attempt still costs one timer, and since the budget ends when the headers come, a started
 * stream is never cut by it. A non-streamed answer starts only when it is complete, so there
 * silence says nothing and only `attempt_timeout` applies. Once an answer has started, the deadline
 * no longer applies: a stream is limited by the idle gap allowed between body chunks, not by its
 * length.
 * @module
 */
import type { GatewayConfig } from "../config/schema.js";
import { ClientGone } from "../upstream/client-gone.js";

/** Least time left for which a retry is still worth starting: less is an attempt doomed to time out. */
export const MIN_RETRY_MS = 100;

type Clock = () => number;
const monotonic: Clock = () => performance.now();

/** A duration setting in milliseconds; 0 (the settings' "no limit") becomes Infinity. */
function limitMs(seconds: number): number {
  return seconds > 0 ? seconds * 1000 : Number.POSITIVE_INFINITY;
}

export class RequestDeadline {
  /** When the request's answer must have started, on `clock`'s scale; Infinity: never. */
  readonly at: number;
  readonly #clock: Clock;
  /** Most milliseconds one attempt may wait for its answer to start; Infinity: only the deadline. */
  readonly #attemptLimitMs: number;

  constructor(requestTimeoutMs: number, attemptLimitMs: number, clock: Clock = monotonic) {
    this.#clock = clock;
    this.at = clock() + requestTimeoutMs;
    this.#attemptLimitMs = attemptLimitMs;
  }

  /**
   * The deadline of a request arriving now, from the settings (seconds, 0 meaning none); a
   * streaming request's attempts are also held to `first_byte_timeout`.
   */
  static start(config: TimeoutSettings, stream = false, clock: Clock = monotonic): RequestDeadline {
    const attemptLimitMs = stream ? streamAttemptLimitMs(config) : limitMs(config.attempt_timeout);
    return new RequestDeadline(limitMs(config.request_timeout), attemptLimitMs, clock);
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

/**
 * The abort signal of one attempt's upstream calls: fires when the client leaves, or when the
 * attempt's budget runs out before its answer started (then `timedOut` is set). undici takes it like
 * the request's ClientGone.
 * undici's own headers timeout cannot stand in for it: undici runs that on coarse timers (about
 * half a second to a second late), and it does not cover opening the connection.
 */
export class AttemptSignal extends ClientGone {
  timedOut = false;
  readonly #client: ClientGone;
  readonly #forward = () => this.abort();
  #timer: NodeJS.Timeout | undefined;

  constructor(client: ClientGone, budgetMs: number) {
    super();
    this.#client = client;
    if (client.aborted) this.aborted = true;
    // `on`, not `once`: abort() runs once by itself, and dispose() removes the listener without
    // the wrapper `once` would allocate on every attempt.
    else client.on("abort", this.#forward);
    if (Number.isFinite(budgetMs)) {
      this.#timer = setTimeout(
        () => {
          if (this.aborted) return;
          this.timedOut = true;
          this.abort();
        },
        Math.max(0, budgetMs),
      );
    }
  }

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
