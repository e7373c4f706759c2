/**
 * Throughput over time: fixed-width buckets (1 s by default) from the start of the measured window,
 * counting completions, failures and output tokens. A request's tokens are spread evenly over the
 * time it was streaming them (first token to last byte), so long streams draw a smooth line instead
 * of a spike at their end.
 * @module
 */

export interface TimelineBucket {
  /** Start of the bucket, in seconds from the start of the measured window. */
  startS: number;
  /** Seconds the bucket covers: its width, or less for the last one when the window ends inside it. */
  seconds: number;
  ok: number;
  failed: number;
  outputTokens: number;
}

interface Counts {
  ok: number;
  failed: number;
  outputTokens: number;
}

export class Timeline {
  readonly bucketMs: number;
  readonly #buckets: Counts[] = [];

  constructor(bucketMs = 1_000) {
    this.bucketMs = bucketMs;
  }

  #bucket(atMs: number): Counts {
    const index = Math.max(0, Math.floor(atMs / this.bucketMs));
    while (this.#buckets.length <= index) this.#buckets.push({ ok: 0, failed: 0, outputTokens: 0 });
    return this.#buckets[index]!;
  }

  /** Counts one request ended at `endMs`; its tokens are spread over `[firstTokenMs, endMs]`. */
  record(endMs: number, ok: boolean, outputTokens: number, firstTokenMs = endMs): void {
    const end = this.#bucket(endMs);
    if (ok) end.ok++;
    else end.failed++;
    if (outputTokens <= 0) return;
    const from = Math.max(0, Math.min(firstTokenMs, endMs));
    const span = endMs - from;
    if (span <= 0 || Math.floor(from / this.bucketMs) === Math.floor(endMs / this.bucketMs)) {
      end.outputTokens += outputTokens;
      return;
    }
    for (let start = from; start < endMs; ) {
      const next = Math.min(endMs, (Math.floor(start / this.bucketMs) + 1) * this.bucketMs);
      this.#bucket(start).outputTokens += (outputTokens * (next - start)) / span;
      start = next;
    }
  }

  /** Every bucket from 0 to the last one touched (or to the one holding `untilMs`). */
  buckets(untilMs?: number): TimelineBucket[] {
    if (untilMs !== undefined) this.#bucket(Math.max(0, untilMs - 1));
    const endMs = Math.max(untilMs ?? 0, this.#buckets.length * this.bucketMs);
    return this.#buckets.map((counts, index) => {
      const startMs = index * this.bucketMs;
      const last = index === this.#buckets.length - 1 && untilMs !== undefined;
      const widthMs = last
        ? Math.max(1, Math.min(this.bucketMs, untilMs - startMs))
        : Math.min(this.bucketMs, endMs - startMs);
      return {
        startS: startMs / 1000,
        seconds: widthMs / 1000,
        ok: counts.ok,
        failed: counts.failed,
        outputTokens: Math.round(counts.outputTokens * 1000) / 1000,
      };
    });
  }

  /**
   * Completions and output tokens per second over the `windowMs` before `nowMs`, counting whole
   * buckets only (the current, partial one is left out so the rate does not dip at each bucket start).
   */
  rate(nowMs: number, windowMs: number): { requests: number; outputTokens: number } {
    const current = Math.floor(nowMs / this.bucketMs);
    const count = Math.max(1, Math.round(windowMs / this.bucketMs));
    const first = Math.max(0, current - count);
    let requests = 0;
    let outputTokens = 0;
    for (let index = first; index < current; index++) {
      const bucket = this.#buckets[index];
      if (!bucket) continue;
      requests += bucket.ok;
      outputTokens += bucket.outputTokens;
    }
    const seconds = ((current - first) * this.bucketMs) / 1000;
    return seconds > 0
      ? { requests: requests / seconds, outputTokens: outputTokens / seconds }
      : { requests: 0, outputTokens: 0 };
  }

  /** Output tokens per second in each of the last `count` whole buckets before `nowMs` (oldest first). */
  recentTokenRates(nowMs: number, count: number): number[] {
    const current = Math.floor(nowMs / this.bucketMs);
    const rates: number[] = [];
    for (let index = Math.max(0, current - count); index < current; index++)
      rates.push(((this.#buckets[index]?.outputTokens ?? 0) * 1000) / this.bucketMs);
    return rates;
  }
}
