/**
 * SLO-aware admission: with a time-to-first-token target (`ttft_slo`, per model in
 * `model_ttft_slos`), a request goes upstream only while at least one eligible backend (healthy,
 * circuit closed, under its cap) is expected to start answering within the target. Otherwise it
 * waits in the capacity queue as a watcher (capacity-queue.ts), re-checking whenever a backend of
 * its model frees a slot and at least every `pollMs`, up to `slo_queue_timeout` (default: the SLO
 * itself) or the request's deadline, whichever comes first; then it is shed (429 `slo_shed` with
 * `Retry-After`) rather than piled onto a saturated engine.
 *
 * The caller runs the loop: `admitsNow` (synchronous, right before it takes a slot), else one
 * `pause` (`startWait` once), and again. A check and the slot it admits to happen in one turn of
 * the event loop, so one release cannot let every waiter through on the same load.
 *
 * Expected wait of backend b, from what the gateway knows:
 *
 *     expected(b) = ttft(b) × ahead(b) / sampleAhead(b)
 *
 * - ttft(b): EWMA (weight 0.3 per sample) of the TTFT this gateway observed on b, from sending the
 *   request to the first byte of the answer's body (a stream's first event; a JSON answer whole).
 *   Between samples it relaxes toward zero with time constant `decayMs` (10 s), so a backend that
 *   was slow and then got no traffic is tried again; with no sample yet it is 0 (explored at once).
 * - ahead(b) = inflight(b) + queueDepth(b): the requests the engine holds that this one would queue
 *   behind, ours and (from its scraped `/metrics`, engine-load.ts) other clients'.
 * - sampleAhead(b): EWMA, with the same weight, of what was ahead of the sampled requests when
 *   they were sent (at least 1).
 *
 * TTFT is thus taken to grow in proportion to the work queued ahead: the queueing regime that
 * admission is for. A burst raises `ahead` at once, before any slow answer comes back; a queue that
 * drains lowers it just as fast, and an idle backend (nothing ahead) is never held back, since
 * waiting cannot make its answer come sooner. The Retry-After of a shed request is how far the best
 * backend's expected wait is above the SLO, in whole seconds (at least 1, at most an hour).
 *
 * The clock is injectable (`now`), and the queue is any `ReleaseWatch`, so tests drive time.
 * @module
 */
import type { GatewayConfig } from "../config/schema.js";
import type { BackendState, BackendView } from "./backend.js";
import type { AbortSource, WaitOutcome } from "./capacity-queue.js";

/** A model's target and how long a request may wait for it, in milliseconds. */
export interface SloTarget {
  readonly sloMs: number;
  readonly queueTimeoutMs: number;
}

type SloSettings = Pick<GatewayConfig, "ttft_slo" | "model_ttft_slos" | "slo_queue_timeout">;

/** The model's target, or undefined when admission is off for it (no SLO, or 0). */
export function sloTargetFor(config: SloSettings, model: string): SloTarget | undefined {
  const seconds = config.model_ttft_slos[model] ?? config.ttft_slo;
  if (!(seconds > 0)) return undefined;
  return { sloMs: seconds * 1000, queueTimeoutMs: (config.slo_queue_timeout ?? seconds) * 1000 };
}

/** Whether any model has a target, so the per-request TTFT watch is needed at all. */
export function sloConfigured(config: SloSettings): boolean {
  return config.ttft_slo > 0 || Object.values(config.model_ttft_slos).some((seconds) => seconds > 0);
}

/** Where a waiting request hears of released slots: the capacity queue's `watch`. */
export interface ReleaseWatch {
  watch(
    serves: (backend: BackendState) => boolean,
    timeoutMs: number,
    signal: AbortSource,
  ): Promise<WaitOutcome>;
}

export interface SloAdmissionOptions {
  /** Clock in ms; defaults to `performance.now`. */
  readonly now?: () => number;
  /** Time constant of the TTFT estimate's relaxation toward zero between samples; default 10 s. */
  readonly decayMs?: number;
  /** Longest pause between two checks of a waiting request; default 100 ms. */
  readonly pollMs?: number;
}

/** A request waiting for a backend within its target. */
export interface SloWait {
  readonly target: SloTarget;
  readonly startedAt: number;
  /** When it is shed, on the admission clock. */
  readonly until: number;
}

/** How one pause ended; `waitedMs` counts from the start of the wait. */
export type Pause =
  | { readonly kind: "recheck"; readonly waitedMs: number }
  | { readonly kind: "shed"; readonly waitedMs: number; readonly retryAfterSeconds: number }
  | { readonly kind: "aborted" };

const SAMPLE_WEIGHT = 0.3;
const DEFAULT_DECAY_MS = 10_000;
const DEFAULT_POLL_MS = 100;
const MAX_RETRY_AFTER_S = 3600;

interface Estimate {
  ttftMs: number;
  /** sampleAhead(b). */
  load: number;
  at: number;
}

export class SloAdmission {
  readonly #queue: ReleaseWatch;
  readonly #now: () => number;
  readonly #decayMs: number;
  readonly #pollMs: number;
  readonly #estimates = new Map<string, Estimate>();

  constructor(queue: ReleaseWatch, options: SloAdmissionOptions = {}) {
    this.#queue = queue;
    this.#now = options.now ?? (() => performance.now());
    this.#decayMs = options.decayMs ?? DEFAULT_DECAY_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  /** A TTFT seen on `backendId`: `ttftMs` from send to first body byte, `aheadAtSend` as `ahead(b)` then. */
  observe(backendId: string, ttftMs: number, aheadAtSend: number): void {
    if (!Number.isFinite(ttftMs) || ttftMs < 0) return;
    const load = Math.max(1, aheadAtSend);
    const now = this.#now();
    const estimate = this.#estimates.get(backendId);
    if (estimate === undefined) {
      this.#estimates.set(backendId, { ttftMs, load, at: now });
      return;
    }
    estimate.ttftMs = this.#relaxed(estimate, now) * (1 - SAMPLE_WEIGHT) + ttftMs * SAMPLE_WEIGHT;
    estimate.load = estimate.load * (1 - SAMPLE_WEIGHT) + load * SAMPLE_WEIGHT;
    estimate.at = now;
  }

  forget(backendId: string): void {
    this.#estimates.delete(backendId);
  }

  /** The module doc's `expected(b)`, in ms. */
  expectedWaitMs(backend: BackendView): number {
    const estimate = this.#estimates.get(backend.id);
    if (estimate === undefined) return 0;
    const ahead = backend.inflight + backend.queueDepth;
    return (this.#relaxed(estimate, this.#now()) * ahead) / estimate.load;
  }

  /** Whether some candidate is expected to start answering within the target (none: nothing to hold back). */
  admitsNow(target: SloTarget, candidates: readonly BackendView[]): boolean {
    return candidates.length === 0 || this.#bestWaitMs(candidates) <= target.sloMs;
  }

  /** Starts a request's wait: it may last `queueTimeoutMs`, never past `deadlineAt`. */
  startWait(target: SloTarget, deadlineAt = Number.POSITIVE_INFINITY): SloWait {
    const startedAt = this.#now();
    return { target, startedAt, until: Math.min(startedAt + target.queueTimeoutMs, deadlineAt) };
  }

  /**
   * One pause of a waiting request, in the queue as a watcher, until a release on a backend it
   * `serves`, `pollMs`, or the end of its wait. `recheck`: ask `admitsNow` again, synchronously
   * right before taking a slot, so that waiters woken by one release do not all pass on the same
   * load. `shed` when the wait is over (or the queue is full), with the Retry-After `candidates`
   * give then.
   */
  async pause(
    wait: SloWait,
    candidates: () => readonly BackendView[],
    serves: (backend: BackendState) => boolean,
    signal: AbortSource,
  ): Promise<Pause> {
    const remaining = wait.until - this.#now();
    const outcome =
      remaining > 0 ? await this.#queue.watch(serves, Math.min(remaining, this.#pollMs), signal) : "full";
    if (outcome === "aborted") return { kind: "aborted" };
    const waitedMs = this.#now() - wait.startedAt;
    if (outcome === "full" || this.#now() >= wait.until) {
      const current = candidates();
      // The last look, at the very end of the wait, may still let it through.
      if (outcome !== "full" && this.admitsNow(wait.target, current)) return { kind: "recheck", waitedMs };
      return { kind: "shed", waitedMs, retryAfterSeconds: this.#retryAfter(wait.target, current) };
    }
    return { kind: "recheck", waitedMs };
  }

  /** Per backend with an estimate: its TTFT estimate now and what was ahead of its samples, for /status. */
  snapshot(): Record<string, { ttft_ms: number; sample_ahead: number }> {
    const now = this.#now();
    const out: Record<string, { ttft_ms: number; sample_ahead: number }> = {};
    for (const [id, estimate] of this.#estimates) {
      out[id] = {
        ttft_ms: Math.round(this.#relaxed(estimate, now) * 10) / 10,
        sample_ahead: Math.round(estimate.load * 100) / 100,
      };
    }
    return out;
  }

  #bestWaitMs(candidates: readonly BackendView[]): number {
    let best = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) best = Math.min(best, this.expectedWaitMs(candidate));
    return best;
  }

  #retryAfter(target: SloTarget, candidates: readonly BackendView[]): number {
    const over = candidates.length === 0 ? 0 : this.#bestWaitMs(candidates) - target.sloMs;
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(over / 1000)));
  }

  #relaxed(estimate: Estimate, now: number): number {
    return estimate.ttftMs * Math.exp(-Math.max(0, now - estimate.at) / this.#decayMs);
  }
}
