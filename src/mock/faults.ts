/**
 * Fault injection: which inference request fails, hangs or is dropped, decided by a seeded PRNG so a run
 * with the same `--seed` and the same request order makes the same decisions.
 *
 * One draw per request, compared against cumulative rates: with `failRate` 0.2 and `dropRate` 0.1, draws
 * in [0, 0.2) fail, [0.2, 0.3) drop, the rest pass. Each rate is therefore the fraction of requests that
 * get that fault (as long as the rates sum to at most 1).
 * @module
 */

import { seededRandom } from "../random/seeded-random.js";
import type { MockOptions, ReasoningMode, RuntimeFaults } from "./options.js";

export type FaultDecision = "pass" | "fail" | "hang" | "drop";

/** The settings that `POST /mock/faults` may change while the mock runs. */
export interface FaultSettings {
  firstTokenDelayMs: number;
  tokenDelayMs: number;
  failRate: number;
  failStatus: number;
  hangRate: number;
  dropRate: number;
  reasoning: ReasoningMode;
  maxInflight: number;
  /** Status to answer requests carrying a given API key with (key rotation tests); set at run time only. */
  keyStatus: Record<string, number>;
  /** `Retry-After` of injected 429 and 503 answers, in seconds; set at run time only. */
  retryAfterSeconds: number;
}

export class FaultPlan {
  #next: () => number;
  #settings: FaultSettings;
  /** Epoch ms until which every route answers 503 "model is loading". */
  #unavailableUntil: number;

  constructor(options: MockOptions, now = Date.now()) {
    this.#next = seededRandom(options.seed);
    this.#settings = {
      firstTokenDelayMs: options.firstTokenDelayMs,
      tokenDelayMs: options.tokenDelayMs,
      failRate: options.failRate,
      failStatus: options.failStatus,
      hangRate: options.hangRate,
      dropRate: options.dropRate,
      reasoning: options.reasoning,
      maxInflight: options.maxInflight,
      keyStatus: {},
      retryAfterSeconds: 1,
    };
    this.#unavailableUntil = now + options.unavailableFor * 1000;
  }

  get settings(): Readonly<FaultSettings> {
    return this.#settings;
  }

  /** Draws once and says what happens to this inference request. No draw when every rate is 0. */
  decide(): FaultDecision {
    const { failRate, hangRate, dropRate } = this.#settings;
    if (failRate === 0 && hangRate === 0 && dropRate === 0) return "pass";
    const draw = this.#next();
    if (draw < failRate) return "fail";
    if (draw < failRate + hangRate) return "hang";
    if (draw < failRate + hangRate + dropRate) return "drop";
    return "pass";
  }

  /** Milliseconds left of `--unavailable-for` (0 when available). */
  unavailableMs(now = Date.now()): number {
    return this.#unavailableUntil > now ? this.#unavailableUntil - now : 0;
  }

  /** Applies a runtime change; `unavailableFor` counts from `now`. */
  update(change: RuntimeFaults, now = Date.now()): void {
    const { unavailableFor, ...rest } = change;
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) Object.assign(this.#settings, { [key]: value });
    }
    if (unavailableFor !== undefined) this.#unavailableUntil = now + unavailableFor * 1000;
  }

  /** Settings plus the remaining unavailability, as `GET`/`POST /mock/faults` report them. */
  describe(now = Date.now()): FaultSettings & { unavailableForMs: number } {
    return { ...this.#settings, unavailableForMs: this.unavailableMs(now) };
  }
}

/** Statuses that tell a client when to come back (`retry-after`, 1 s unless the faults say otherwise). */
export function retryAfterFor(status: number, seconds = 1): string | undefined {
  return status === 429 || status === 503 ? String(seconds) : undefined;
}
