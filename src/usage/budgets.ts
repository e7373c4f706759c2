/**
 * Budgets enforced at admission: a request is charged its worst case (the prompt, estimated, and
 * every completion token it may ask for, priced) against every budget of its key and of its team,
 * all at once and atomically in the budget store, and refused when any would pass its limit. When
 * the request ends, `settle` replaces the reservation by what it used, so the budget holds what
 * was really spent. Racing requests therefore never pass a limit with what they reserved; what
 * they really used can pass it only where a request used more than its worst case (a prompt
 * longer than its estimate), by at most that request's difference.
 * @module
 */
import type { BudgetConfig } from "../config/schema.js";
import type { BudgetAdjustment, BudgetCharge, BudgetStore } from "../state/budget-store/budget-store.js";
import type { Clock } from "../state/store.js";
import { periodPosition } from "./budget-period.js";
import type { CostUsage, PriceTable } from "./prices.js";

/** USD are counted in millionths, as integers, so every replica's sums are exact. */
const MICRO = 1_000_000;

export type BudgetUnit = "usd" | "tokens";

/** Whose budgets a request is charged against: its key's, and its team's when it has one. */
export interface BudgetOwner {
  readonly scope: "key" | "team";
  /** The key's id or the team's name: the counters' name. */
  readonly id: string;
  /** How messages name the owner: `key 'ci-bot'`, `team 'search'`. */
  readonly label: string;
  readonly budgets: readonly BudgetConfig[];
}

export interface BudgetRequest {
  readonly model: string;
  readonly promptTokens: number;
  readonly maxTokens: number;
}

interface HeldCharge {
  readonly key: string;
  readonly bucket: number;
  readonly ttlMs: number;
  readonly unit: BudgetUnit;
  readonly amount: number;
}

/** What one admitted request holds until it settles. */
export interface Reservation {
  readonly model: string;
  readonly charges: readonly HeldCharge[];
}

/** Why a request was refused: the budget, what it holds, and when that starts to lapse. */
export interface BudgetRefusal {
  readonly owner: BudgetOwner;
  readonly budget: BudgetConfig;
  readonly unit: BudgetUnit;
  /** In the unit (USD or tokens). */
  readonly limit: number;
  readonly spent: number;
  readonly requested: number;
  /** Epoch ms. */
  readonly resetAt: number;
}

export type BudgetDecision =
  | { readonly ok: true; readonly reservation: Reservation | undefined }
  | { readonly ok: false; readonly refusal: BudgetRefusal };

export class Budgets {
  readonly #store: BudgetStore;
  readonly #now: Clock;

  constructor(store: BudgetStore, options: { now?: Clock } = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
  }

  get store(): BudgetStore {
    return this.#store;
  }

  /** Reserves the request's worst case against every budget of `owners`; no budgets: no call. */
  async reserve(
    owners: readonly BudgetOwner[],
    request: BudgetRequest,
    prices: PriceTable,
  ): Promise<BudgetDecision> {
    const now = this.#now();
    const worst = {
      usd: toMicro(prices.worstCaseCost(request.model, request.promptTokens, request.maxTokens)),
      tokens: request.promptTokens + request.maxTokens,
    };
    const charges: (BudgetCharge & { unit: BudgetUnit; owner: BudgetOwner; budget: BudgetConfig })[] = [];
    for (const owner of owners) {
      for (const budget of owner.budgets) {
        const position = periodPosition(budget, now);
        for (const unit of unitsOf(budget)) {
          charges.push({
            key: counterKey(owner, budget, unit),
            bucket: position.bucket,
            oldest: position.oldest,
            ttlMs: position.ttlMs,
            limit: unit === "usd" ? toMicro(budget.usd!) : budget.tokens!,
            amount: worst[unit],
            unit,
            owner,
            budget,
          });
        }
      }
    }
    if (charges.length === 0) return { ok: true, reservation: undefined };
    const result = await this.#store.reserve(charges);
    if (!result.ok) {
      const charge = charges[result.index]!;
      const fromUnit = (amount: number) => (charge.unit === "usd" ? amount / MICRO : amount);
      return {
        ok: false,
        refusal: {
          owner: charge.owner,
          budget: charge.budget,
          unit: charge.unit,
          limit: fromUnit(charge.limit),
          spent: fromUnit(result.spent),
          requested: fromUnit(charge.amount),
          resetAt: periodPosition(charge.budget, now).resetAt(result.oldestUsed),
        },
      };
    }
    return {
      ok: true,
      reservation: {
        model: request.model,
        charges: charges.map(({ key, bucket, ttlMs, unit, amount }) => ({
          key,
          bucket,
          ttlMs,
          unit,
          amount,
        })),
      },
    };
  }

  /**
   * Replaces the reservation by what the request used (nothing when it used nothing: a refusal,
   * a failure before any answer). Runs once per reservation; never rejects.
   */
  settle(reservation: Reservation, usage: CostUsage, prices: PriceTable): Promise<void> {
    const used = {
      usd: toMicro(prices.costOf(reservation.model, usage)),
      tokens: usage.input + usage.output,
    };
    const adjustments: BudgetAdjustment[] = reservation.charges
      .map((charge) => ({
        key: charge.key,
        bucket: charge.bucket,
        ttlMs: charge.ttlMs,
        delta: used[charge.unit] - charge.amount,
      }))
      .filter((adjustment) => adjustment.delta !== 0);
    return this.#store.adjust(adjustments);
  }

  /** What each budget of `owner` holds now (spent and reserved), in its unit. */
  async spending(owner: BudgetOwner): Promise<{ budget: BudgetConfig; unit: BudgetUnit; spent: number }[]> {
    const now = this.#now();
    return Promise.all(
      owner.budgets.flatMap((budget) =>
        unitsOf(budget).map(async (unit) => {
          const held = await this.#store.spent(
            counterKey(owner, budget, unit),
            periodPosition(budget, now).oldest,
          );
          return { budget, unit, spent: unit === "usd" ? held / MICRO : held };
        }),
      ),
    );
  }
}

/** Rounded up, so a reservation is never smaller than the cost it stands for. */
function toMicro(usd: number): number {
  return Math.ceil(usd * MICRO - 1e-6);
}

function unitsOf(budget: BudgetConfig): BudgetUnit[] {
  const units: BudgetUnit[] = [];
  if (budget.usd !== undefined) units.push("usd");
  if (budget.tokens !== undefined) units.push("tokens");
  return units;
}

/** One counter per owner, unit and period: a key's two budgets of the same period share none. */
function counterKey(owner: BudgetOwner, budget: BudgetConfig, unit: BudgetUnit): string {
  const period = budget.period === "rolling" ? `rolling${budget.window}` : budget.period;
  return `${owner.scope}:${owner.id}:${unit}:${period}`;
}

/** One line for a refusal: which budget, what it holds, and when it resets. */
export function describeRefusal(refusal: BudgetRefusal): string {
  const { budget, unit } = refusal;
  const amount = (value: number) =>
    unit === "usd" ? `$${value.toFixed(value < 1 ? 4 : 2)}` : `${Math.round(value)} tokens`;
  const period =
    budget.period === "rolling" ? `per rolling ${budget.window} s` : `per ${budget.period} (UTC)`;
  return (
    `The ${refusal.owner.label} budget of ${amount(refusal.limit)} ${period} holds ${amount(refusal.spent)} ` +
    `(spent and reserved by requests in flight); this request may use up to ${amount(refusal.requested)}. ` +
    `It resets at ${new Date(refusal.resetAt).toISOString()}.`
  );
}
