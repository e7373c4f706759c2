/**
 * SLO-aware admission: with a time-to-first-token target (`ttft_slo`, per model in
 * `model_ttft_slos`), a request goes upstream only while at least one eligible backend (healthy,
 * circuit closed, under its cap) is expected to start answering within the target. Otherwise it
 * waits in the capacity queue as a watcher (capacity-queue.ts), re-checking whenever a backend of
 * its model frees a slot and at least every `pollMs`, up to `slo_queue_timeout` (default: the SLO
 * itself) or the request's deadline, whichever comes first; then it is shed (429 `slo_shed` with
 * `Retry-After`) rather than piled onto a saturated engine.
 *
 * Expected wait of backend b, from what the gateway knows:
 *
 *     expected(b) = ttft(b) × load(b) / sampleLoad(b)
 *
 * - ttft(b): EWMA (weight 0.3 per sample) of the TTFT this gateway observed on b, from sending the
 *   request to the first byte of the answer's body (a stream's first event; a JSON answer whole).
 *   Between samples it relaxes toward zero with time constant `decayMs` (10 s), so a backend that
 *   was slow and then got no traffic is tried again; with no sample yet it is 0 (explored at once).
 * - load(b) = inflight(b) + queueDepth(b) + 1: the requests the engine would hold with this one,
 *   ours and (from its scraped `/metrics`, engine-load.ts) other clients'.
 * - sampleLoad(b): EWMA, with the same weight, of that load when the sampled requests were sent.
 *
 * TTFT is thus taken to grow in proportion to what the engine holds: the queueing regime that
 * admission is for. A burst raises `load` at once, before any slow answer comes back; a queue
 * that drains lowers it just as fast. The Retry-After of a shed request is how far the best
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

export type Admission =
  | { readonly kind: "admitted"; readonly waitedMs: number }
  | { readonly kind: "shed"; readonly waitedMs: number; readonly retryAfterSeconds: number }
  | { readonly kind: "aborted" };

const SAMPLE_WEIGHT = 0.3;
const DEFAULT_DECAY_MS = 10_000;
const DEFAULT_POLL_MS = 100;
const MAX_RETRY_AFTER_S = 3600;

interface Estimate {
  ttftMs: number;
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

  /** A TTFT seen on `backendId`: `ttftMs` from send to first body byte, `loadAtSend` as `load(b)` then. */
  observe(backendId: string, ttftMs: number, loadAtSend: number): void {
    if (!Number.isFinite(ttftMs) || ttftMs < 0) return;
    const load = Math.max(1, loadAtSend);
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
    const load = backend.inflight + backend.queueDepth + 1;
    return (this.#relaxed(estimate, this.#now()) * load) / estimate.load;
  }

  /** Whether some candidate is expected to start answering within the target (none: nothing to hold back). */
  admitsNow(target: SloTarget, candidates: readonly BackendView[]): boolean {
    return candidates.length === 0 || this.#bestWaitMs(candidates) <= target.sloMs;
  }

  /**
   * Holds the request until `admitsNow` says yes (admitted), the wait runs out at the target's
   * queue timeout or `deadlineAt` (shed), the queue is full (shed at once) or the client leaves.
   * `candidates` is read again at each check, as routing would see it then.
   */
  async waitForRoom(
    target: SloTarget,
    candidates: () => readonly BackendView[],
    serves: (backend: BackendState) => boolean,
    signal: AbortSource,
    deadlineAt = Number.POSITIVE_INFINITY,
  ): Promise<Admission> {
    const start = this.#now();
    const until = Math.min(start + target.queueTimeoutMs, deadlineAt);
    for (;;) {
      const current = candidates();
      if (this.admitsNow(target, current)) return { kind: "admitted", waitedMs: this.#now() - start };
      const remaining = until - this.#now();
      const outcome =
        remaining > 0 ? await this.#queue.watch(serves, Math.min(remaining, this.#pollMs), signal) : "full";
      if (outcome === "aborted") return { kind: "aborted" };
      if (outcome === "full" || (outcome === "timeout" && this.#now() >= until)) {
        const latest = candidates();
        if (outcome === "timeout" && this.admitsNow(target, latest))
          return { kind: "admitted", waitedMs: this.#now() - start };
        return {
          kind: "shed",
          waitedMs: this.#now() - start,
          retryAfterSeconds: this.#retryAfter(target, latest),
        };
      }
    }
  }

  /** Per backend with an estimate: its TTFT estimate now and the load it was sampled at, for /status. */
  snapshot(): Record<string, { ttft_ms: number; sample_load: number }> {
    const now = this.#now();
    const out: Record<string, { ttft_ms: number; sample_load: number }> = {};
    for (const [id, estimate] of this.#estimates) {
      out[id] = {
        ttft_ms: Math.round(this.#relaxed(estimate, now) * 10) / 10,
        sample_load: Math.round(estimate.load * 100) / 100,
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
