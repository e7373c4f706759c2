/**
 * A per-backend circuit breaker. `threshold` consecutive failures open the circuit for
 * `openMs`; after that one half-open probe request is let through, and its outcome decides:
 * success closes the circuit, failure opens it again for another `openMs`.
 *
 * This breaker is the one owner of a backend's circuit state: the hot path reads and changes only
 * it. With shared state the store holds a replica of it for the fleet (state/replication/shared.ts):
 * verdicts go out to the store, and a circuit opened or reset elsewhere comes back through
 * {@link CircuitBreaker.openUntil} and {@link CircuitBreaker.closeNow}. The half-open probe is also
 * reserved across replicas (state/replication/half-open-probe.ts); a replica that loses that race
 * waits as if the circuit had stayed open ({@link CircuitBreaker.probeHeldElsewhere}).
 * @module
 */

export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitOptions {
  /** Consecutive failures that open the circuit; 0 disables the breaker. */
  threshold: number;
  openMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #state: CircuitState = "closed";
  #consecutiveFailures = 0;
  #openedAt = 0;
  #probeInFlight = false;

  constructor(options: CircuitOptions) {
    this.#threshold = options.threshold;
    this.#openMs = options.openMs;
    this.#now = options.now ?? Date.now;
  }

  /** The state as of now: an open circuit whose time is up reads as half-open. */
  get state(): CircuitState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.#openMs) return "half_open";
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Milliseconds until an open circuit lets a probe through (0 when not open). */
  get retryAfterMs(): number {
    return this.#state === "open" ? Math.max(0, this.#openedAt + this.#openMs - this.#now()) : 0;
  }

  /** Whether a request may be sent now. Pure: does not reserve the half-open probe. */
  canAttempt(): boolean {
    const state = this.state;
    return state === "closed" || (state === "half_open" && !this.#probeInFlight);
  }

  /** Call when a request is actually sent; in half-open it becomes the one probe. */
  onAttempt(): void {
    if (this.state === "half_open") {
      this.#state = "half_open";
      this.#probeInFlight = true;
    }
  }

  onSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#probeInFlight = false;
    this.#state = "closed";
  }

  onFailure(): void {
    this.#consecutiveFailures++;
    const probeFailed = this.#probeInFlight;
    this.#probeInFlight = false;
    if (this.#threshold > 0 && (probeFailed || this.#consecutiveFailures >= this.#threshold)) {
      this.#state = "open";
      this.#openedAt = this.#now();
    }
  }

  /**
   * Mirrors a circuit another replica opened (shared state): open until `untilMs` (epoch ms on
   * this breaker's clock), then half-open as usual. A time already past changes nothing.
   */
  openUntil(untilMs: number): void {
    if (untilMs <= this.#now()) return;
    this.#state = "open";
    this.#openedAt = untilMs - this.#openMs;
  }

  /** Mirrors a circuit closed elsewhere (a success on another replica): closed, no failures counted. */
  closeNow(): void {
    this.onSuccess();
  }

  /**
   * Another replica holds this half-open period's probe: stay shut for another `openMs`, without
   * counting a failure. Its verdict reaches this breaker sooner (a success anywhere closes it, a
   * failure reopens it until the shared time); if none comes, as when the prober died, the next
   * half-open period asks again, after the shared reservation has lapsed too.
   */
  probeHeldElsewhere(): void {
    this.#probeInFlight = false;
    this.#state = "open";
    this.#openedAt = this.#now();
  }

  /** A request that ended without a verdict (client went away): free the probe slot. */
  onAbandon(): void {
    this.#probeInFlight = false;
  }
}
