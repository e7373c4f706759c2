/**
 * Spreading requests over several models by share: smooth weighted round robin (nginx's), so any
 * window of requests follows the shares as closely as whole requests allow and the same shares always
 * give the same sequence. Shares are relative weights (`3,1` and `0.75,0.25` are the same mix).
 * @module
 */

export interface ModelShare {
  model: string;
  share: number;
}

/** Normalises shares to fractions that sum to 1; throws on a negative share or a zero total. */
export function normaliseShares(shares: readonly ModelShare[]): ModelShare[] {
  if (shares.length === 0) throw new RangeError("no model to bench");
  const total = shares.reduce((sum, entry) => sum + entry.share, 0);
  if (shares.some((entry) => !(entry.share >= 0)) || !(total > 0))
    throw new RangeError("model shares must be ≥ 0 and add up to more than 0");
  return shares.map((entry) => ({ model: entry.model, share: entry.share / total }));
}

/** Picks the model of each next request. */
export class ModelMix {
  readonly #weights: number[];
  readonly #current: number[];
  readonly #total: number;

  constructor(shares: readonly ModelShare[]) {
    this.#weights = shares.map((entry) => entry.share);
    this.#current = shares.map(() => 0);
    this.#total = this.#weights.reduce((sum, weight) => sum + weight, 0);
  }

  /** The position (in the shares given) of the next request's model. */
  next(): number {
    let best = 0;
    for (let i = 0; i < this.#weights.length; i++) {
      this.#current[i]! += this.#weights[i]!;
      if (this.#current[i]! > this.#current[best]!) best = i;
    }
    this.#current[best]! -= this.#total;
    return best;
  }
}
