/**
 * How long sessions take to come back: the gap between a session's turn ending and its next turn
 * arriving, over the last few hundred returns. KV admission holds a thinking session's history for
 * a high quantile of that gap, so the hold follows what delays the next turn in this deployment
 * (the clients' think time, their tools, a loaded host stretching both) instead of one fixed figure.
 * A hold shorter than most gaps is worth little: the history is let go just before the session
 * returns (routing-sim: holding for two thirds of the longest think time gave back the whole gain),
 * while one somewhat too long only holds back a few turns more.
 *
 * Gaps longer than the ceiling are not learned (the session's end is forgotten by then), so the hold
 * stays within [floor, ceiling]; until enough returns are seen it is the floor.
 * @module
 */

/** Returns remembered; the hold is a quantile of these. */
const SAMPLES = 256;
/** Returns seen before the learned hold replaces the floor. */
const MIN_SAMPLES = 32;
/** The share of returns the hold should cover, and the margin over that gap. */
const QUANTILE = 0.98;
const MARGIN = 1.1;
/** Sessions whose end is remembered at most; the oldest is forgotten past it. */
const MAX_SESSIONS = 100_000;

export class ReturnGaps {
  readonly #floorMs: number;
  readonly #ceilingMs: number;
  /** Session → when its last turn ended; in insertion order, which is end-time order. */
  readonly #endedAt = new Map<string, number>();
  readonly #gaps: number[] = [];
  #nextSlot = 0;
  #holdMs: number;

  constructor(floorMs: number, ceilingMs: number) {
    this.#floorMs = floorMs;
    this.#ceilingMs = Math.max(floorMs, ceilingMs);
    this.#holdMs = floorMs;
  }

  /** How long an ended turn's session should be held now (ms). */
  get holdMs(): number {
    return this.#holdMs;
  }

  /** Returns learned from so far (at most the last {@link SAMPLES}). */
  get samples(): number {
    return this.#gaps.length;
  }

  /** The session's turn ended and nothing else of it runs: its return is timed from `nowMs`. */
  ended(session: string, nowMs: number): void {
    this.#endedAt.delete(session);
    this.#endedAt.set(session, nowMs);
    this.#forget(nowMs);
    if (this.#endedAt.size > MAX_SESSIONS) this.#endedAt.delete(this.#endedAt.keys().next().value!);
  }

  /** A turn of `session` arrived: if the session ended within the ceiling, its gap is learned. */
  returned(session: string, nowMs: number): void {
    const endedAt = this.#endedAt.get(session);
    if (endedAt === undefined) return;
    this.#endedAt.delete(session);
    const gap = nowMs - endedAt;
    if (gap > this.#ceilingMs) return;
    this.#gaps[this.#nextSlot] = gap;
    this.#nextSlot = (this.#nextSlot + 1) % SAMPLES;
    if (this.#gaps.length >= MIN_SAMPLES) this.#holdMs = this.#learnedHold();
  }

  #learnedHold(): number {
    const sorted = [...this.#gaps].sort((a, b) => a - b);
    const gap = sorted[Math.min(sorted.length - 1, Math.floor(QUANTILE * sorted.length))]!;
    return Math.min(this.#ceilingMs, Math.max(this.#floorMs, gap * MARGIN));
  }

  /** Ends older than the ceiling can no longer give a gap the hold would use. */
  #forget(nowMs: number): void {
    for (const [session, endedAt] of this.#endedAt) {
      if (nowMs - endedAt <= this.#ceilingMs) return;
      this.#endedAt.delete(session);
    }
  }
}
