/**
 * Budget counters, shared by every replica when state is shared: each counter (one budget of one
 * key or team) holds amounts by bucket (epoch ms where the bucket starts; usage/budget-period.ts
 * decides them). A reservation is checked and counted against every budget of a request at once,
 * atomically, so racing requests on any number of replicas never pass a limit on reserved amounts;
 * a settlement later corrects each bucket by what the request really used.
 *
 * Amounts are integers (micro-USD or tokens): Redis counts integers exactly.
 * @module
 */

/** One budget a request is charged against. */
export interface BudgetCharge {
  /** The counter's name, unique per budget (scope, owner, unit, period). */
  readonly key: string;
  readonly bucket: number;
  /** Buckets starting before this are over and no longer count (they are dropped). */
  readonly oldest: number;
  /** How long the counter must live after this change. */
  readonly ttlMs: number;
  readonly limit: number;
  readonly amount: number;
}

export type ReserveResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Which charge did not fit (its index in the call). */
      readonly index: number;
      /** What that budget holds already (spent and reserved). */
      readonly spent: number;
      /** The oldest bucket that holds any of it; undefined when none does. */
      readonly oldestUsed: number | undefined;
    };

/** A correction of one bucket: the actual amount minus the reserved one. */
export interface BudgetAdjustment {
  readonly key: string;
  readonly bucket: number;
  readonly ttlMs: number;
  readonly delta: number;
}

export interface BudgetStore {
  readonly kind: string;
  /** Counts every charge, or none when any would pass its limit. Never rejects. */
  reserve(charges: readonly BudgetCharge[]): Promise<ReserveResult>;
  /** Applies settlements; never rejects (a lost one leaves the reservation counted: the safe side). */
  adjust(adjustments: readonly BudgetAdjustment[]): Promise<void>;
  /** What a counter holds in buckets from `oldest` on. */
  spent(key: string, oldest: number): Promise<number>;
  close(): Promise<void>;
}
