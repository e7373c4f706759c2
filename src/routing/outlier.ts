/**
 * Passive outlier detection, as Envoy's: a backend that accepts requests and never answers passes
 * its health checks and keeps its circuit closed while every request sent to it stalls. Here an
 * attempt that got no response headers within its budget is a stall, and a stall ejects its backend
 * when the backend has answered nothing since that attempt was sent while one of its peers (another
 * backend of the same model) has: one slow answer on a busy backend is not a hung backend, and a
 * model whose every backend is silent is overloaded, not hung. An ejected backend gets no new
 * requests; those in flight run on.
 *
 * It is let back in on evidence: any response headers from it (a stalled request finally
 * answering) end the ejection at once. Otherwise it comes back when its ejection time is up, and its
 * next request is the test: a stall again ejects it for twice as long (up to MAX_EJECTION_FACTOR
 * times the base), an answer resets the count. Active health probes do not readmit it: they ask
 * `/health` or `/v1/models`, which a backend with a hung inference path still answers.
 *
 * The state is this process's own, like the evidence: with shared state (Redis) each replica ejects
 * from the stalls it saw itself, which needs no round trip on the request path. One object per
 * backend; nothing is allocated per request, and times are on the caller's clock
 * (`performance.now()`), passed in so the hot path reads the clock once.
 * @module
 */

/** The longest ejection, as a multiple of the first. */
export const MAX_EJECTION_FACTOR = 8;

/** What an outlier check reads of a backend's peers. */
export interface OutlierPeer {
  readonly outlier: OutlierDetector;
}

export class OutlierDetector {
  /** The first ejection's length; 0 turns ejection off. */
  readonly #baseEjectionMs: number;
  #lastAnswerAt = Number.NEGATIVE_INFINITY;
  #ejectedUntil = Number.NEGATIVE_INFINITY;
  /** Ejections since the backend last answered: each one lasts twice as long as the one before. */
  #inARow = 0;
  #total = 0;

  constructor(baseEjectionMs: number) {
    this.#baseEjectionMs = baseEjectionMs;
  }

  /** Ejections since the process started, for /status. */
  get ejections(): number {
    return this.#total;
  }

  /** Whether new requests pass the backend by at `now`. */
  ejected(now: number): boolean {
    return now < this.#ejectedUntil;
  }

  /** Milliseconds until the ejection ends (0 when not ejected). */
  ejectedForMs(now: number): number {
    return Math.max(0, this.#ejectedUntil - now);
  }

  /** The backend sent response headers at `now`: it is not hung, whatever it was before. */
  onAnswer(now: number): void {
    this.#lastAnswerAt = now;
    this.#inARow = 0;
    this.#ejectedUntil = Number.NEGATIVE_INFINITY;
  }

  /**
   * An attempt sent at `sentAt` got no headers by `now`. Ejects the backend when it answered
   * nothing since while a peer did; true when it did so (counted once per ejection).
   */
  onStall(sentAt: number, now: number, peers: readonly OutlierPeer[]): boolean {
    if (this.#baseEjectionMs <= 0 || this.ejected(now) || this.#lastAnswerAt >= sentAt) return false;
    if (!peers.some((peer) => peer.outlier !== this && peer.outlier.#lastAnswerAt >= sentAt)) return false;
    const factor = Math.min(2 ** this.#inARow, MAX_EJECTION_FACTOR);
    this.#inARow++;
    this.#total++;
    this.#ejectedUntil = now + this.#baseEjectionMs * factor;
    return true;
  }
}
