/**
 * Latency: the backend with the lowest peak-EWMA time to first byte, scaled by its queue.
 * @module
 */
import { type BackendView, ownRequests } from "../backend.js";
import { LowestScore } from "./lowest-score.js";
import type { Outcome, RoutingRequest, Strategy } from "./strategy.js";

export interface LatencyOptions {
  /** Time constant of the decay, in ms; default 10 s. */
  readonly decayMs?: number;
  /** The sample a failure counts as, at least; default 10 s. */
  readonly failurePenaltyMs?: number;
  /** Clock in ms; injectable for tests. Defaults to `performance.now`. */
  readonly now?: () => number;
}

export const DEFAULT_DECAY_MS = 10_000;
export const DEFAULT_FAILURE_PENALTY_MS = 10_000;

/** Keeps in-flight requests meaningful for a backend whose estimate has decayed to about zero. */
const MIN_ESTIMATE_MS = 0.001;

interface Estimate {
  /** Peak-EWMA of time to first byte, as of `at`. */
  valueMs: number;
  at: number;
}

/**
 * Peak-EWMA, as in Finagle and Linkerd. Each result updates the backend's estimate of time to first
 * byte: a sample above the estimate replaces it at once (react to trouble now), a lower one is
 * blended in with weight 1 − e^(−Δt/τ), Δt being the time since the previous sample (recover
 * gradually). A failure counts as at least `failurePenaltyMs`. Between samples the estimate as read
 * relaxes toward zero with the same τ, so a backend that spiked and then got no traffic is tried
 * again (its next sample puts the estimate back on evidence).
 *
 * Score = estimate × (own requests + 1: in flight and KV-gated), lowest wins, ties rotate. A backend with no sample yet scores 0
 * while it has nothing in flight, so a new backend is explored at once; while its first requests are
 * in flight it is scored as if it were as fast as the best sampled candidate, so it is not flooded
 * before its first answer arrives.
 */
export class LatencyStrategy implements Strategy {
  readonly name = "latency";
  readonly #decayMs: number;
  readonly #penaltyMs: number;
  readonly #now: () => number;
  readonly #estimates = new Map<string, Estimate>();
  readonly #lowest = new LowestScore();
  /** Set at the start of each pick and read by #score, which must stay one long-lived function. */
  #pickAt = 0;
  #bestKnownMs = 1;

  constructor(options: LatencyOptions = {}) {
    this.#decayMs = options.decayMs ?? DEFAULT_DECAY_MS;
    this.#penaltyMs = options.failurePenaltyMs ?? DEFAULT_FAILURE_PENALTY_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    if (candidates.length === 0) return undefined;
    this.#pickAt = this.#now();
    let best = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) {
      const estimate = this.#estimates.get(candidate.id);
      if (estimate !== undefined) best = Math.min(best, this.#current(estimate));
    }
    this.#bestKnownMs = best === Number.POSITIVE_INFINITY ? 1 : best;
    return this.#lowest.pick(candidates, this.#score, request.model);
  }

  onResult(backendId: string, outcome: Outcome, latencyMs: number): void {
    if (!Number.isFinite(latencyMs)) return;
    const sample = Math.max(0, outcome === "failure" ? Math.max(latencyMs, this.#penaltyMs) : latencyMs);
    const now = this.#now();
    const estimate = this.#estimates.get(backendId);
    if (estimate === undefined) {
      this.#estimates.set(backendId, { valueMs: sample, at: now });
      return;
    }
    if (sample >= estimate.valueMs) {
      estimate.valueMs = sample;
    } else {
      const keep = Math.exp(-Math.max(0, now - estimate.at) / this.#decayMs);
      estimate.valueMs = estimate.valueMs * keep + sample * (1 - keep);
    }
    estimate.at = now;
  }

  forget(backendId: string): void {
    this.#estimates.delete(backendId);
  }

  readonly #score = (backend: BackendView): number => {
    const estimate = this.#estimates.get(backend.id);
    const own = ownRequests(backend);
    if (estimate === undefined) return own === 0 ? 0 : this.#bestKnownMs * (own + 1);
    return this.#current(estimate) * (own + 1);
  };

  /** The estimate as of this pick, relaxed toward zero since its last sample. */
  #current(estimate: Estimate): number {
    const idle = Math.max(0, this.#pickAt - estimate.at);
    return Math.max(MIN_ESTIMATE_MS, estimate.valueMs * Math.exp(-idle / this.#decayMs));
  }
}
