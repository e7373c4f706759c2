/**
 * Budget counters in this process: exact for one process, and the fallback of the Redis store
 * while Redis is away. Counters are dropped once their newest bucket's time is over.
 * @module
 */
import type { Clock } from "../store.js";
import type { BudgetAdjustment, BudgetCharge, BudgetStore, ReserveResult } from "./budget-store.js";

interface Counter {
  readonly buckets: Map<number, number>;
  expiresAt: number;
}

export class MemoryBudgetStore implements BudgetStore {
  readonly kind = "memory";
  readonly #counters = new Map<string, Counter>();
  readonly #now: Clock;

  constructor(options: { now?: Clock } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async reserve(charges: readonly BudgetCharge[]): Promise<ReserveResult> {
    return this.reserveNow(charges);
  }

  /** {@link reserve} without the promise: the check and the counting cannot interleave. */
  reserveNow(charges: readonly BudgetCharge[]): ReserveResult {
    for (const [index, charge] of charges.entries()) {
      const { total, oldestUsed } = this.#sum(charge.key, charge.oldest);
      if (total + charge.amount > charge.limit) return { ok: false, index, spent: total, oldestUsed };
    }
    for (const charge of charges) this.#add(charge.key, charge.bucket, charge.amount, charge.ttlMs);
    return { ok: true };
  }

  async adjust(adjustments: readonly BudgetAdjustment[]): Promise<void> {
    for (const { key, bucket, delta, ttlMs } of adjustments) this.#add(key, bucket, delta, ttlMs);
  }

  async spent(key: string, oldest: number): Promise<number> {
    return this.#sum(key, oldest).total;
  }

  async close(): Promise<void> {}

  #sum(key: string, oldest: number): { total: number; oldestUsed: number | undefined } {
    const counter = this.#counters.get(key);
    if (!counter) return { total: 0, oldestUsed: undefined };
    if (counter.expiresAt <= this.#now()) {
      this.#counters.delete(key);
      return { total: 0, oldestUsed: undefined };
    }
    let total = 0;
    let oldestUsed: number | undefined;
    for (const [bucket, amount] of counter.buckets) {
      if (bucket < oldest) {
        counter.buckets.delete(bucket);
        continue;
      }
      total += amount;
      if (amount > 0 && (oldestUsed === undefined || bucket < oldestUsed)) oldestUsed = bucket;
    }
    return { total, oldestUsed };
  }

  #add(key: string, bucket: number, amount: number, ttlMs: number): void {
    let counter = this.#counters.get(key);
    if (!counter) {
      counter = { buckets: new Map(), expiresAt: 0 };
      this.#counters.set(key, counter);
    }
    counter.buckets.set(bucket, (counter.buckets.get(bucket) ?? 0) + amount);
    counter.expiresAt = Math.max(counter.expiresAt, this.#now() + ttlMs);
  }
}
