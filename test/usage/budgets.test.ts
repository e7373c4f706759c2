import { describe, expect, it } from "vitest";
import { MemoryBudgetStore } from "../../src/state/budget-store/memory.js";
import { type BudgetOwner, Budgets, describeRefusal } from "../../src/usage/budgets.js";
import { PriceTable } from "../../src/usage/prices.js";

/** $1 per million tokens in and out: a token costs a micro-dollar. */
const prices = new PriceTable({ paid: { input: 1, output: 1 } });

function setup(start = Date.parse("2026-12-03T10:00:00Z")) {
  let now = start;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const store = new MemoryBudgetStore({ now: clock.now });
  return { clock, budgets: new Budgets(store, { now: clock.now }) };
}

const key = (budgets: BudgetOwner["budgets"]): BudgetOwner => ({
  scope: "key",
  id: "k1",
  label: "key 'k1'",
  budgets,
});

describe("Budgets", () => {
  it("reserves the worst case and refuses what would pass the limit, naming the budget and its reset", async () => {
    const { budgets } = setup();
    const owner = key([{ usd: 0.001, period: "day" }]); // 1000 micro-dollars
    const request = { model: "paid", promptTokens: 100, maxTokens: 300 }; // worst case 400
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
    const third = await budgets.reserve([owner], request, prices);
    expect(third.ok).toBe(false);
    if (third.ok) return;
    expect(third.refusal).toMatchObject({ unit: "usd", limit: 0.001, spent: 0.0008, requested: 0.0004 });
    expect(third.refusal.resetAt).toBe(Date.parse("2026-12-04T00:00:00Z"));
    expect(describeRefusal(third.refusal)).toMatch(
      /key 'k1' budget of \$0\.0010 per day .*2026-12-04T00:00:00\.000Z/,
    );
  });

  it("settles the reservation down to what was used, freeing the rest", async () => {
    const { budgets } = setup();
    const owner = key([{ tokens: 1000, period: "day" }]);
    const request = { model: "paid", promptTokens: 100, maxTokens: 500 };
    const first = await budgets.reserve([owner], request, prices);
    if (!first.ok || !first.reservation) throw new Error("refused");
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(false);
    await budgets.settle(first.reservation, { input: 100, output: 20 }, prices);
    expect(await budgets.spending(owner)).toEqual([{ budget: owner.budgets[0], unit: "tokens", spent: 120 }]);
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
  });

  it("charges every budget of the key and its team at once, or none", async () => {
    const { budgets } = setup();
    const team: BudgetOwner = {
      scope: "team",
      id: "search",
      label: "team 'search'",
      budgets: [{ tokens: 500, period: "week" }],
    };
    const owner = key([{ tokens: 10_000, period: "month" }]);
    const request = { model: "free", promptTokens: 100, maxTokens: 200 };
    expect((await budgets.reserve([owner, team], request, prices)).ok).toBe(true);
    const refused = await budgets.reserve([owner, team], request, prices);
    expect(refused.ok ? undefined : refused.refusal.owner.label).toBe("team 'search'");
    // The key's budget was not charged for the refused request.
    expect((await budgets.spending(owner))[0]!.spent).toBe(300);
  });

  it("starts a calendar period from nothing", async () => {
    const { budgets, clock } = setup(Date.parse("2026-12-03T23:59:00Z"));
    const owner = key([{ tokens: 300, period: "day" }]);
    const request = { model: "x", promptTokens: 100, maxTokens: 200 };
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(false);
    clock.advance(60_000);
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
  });

  it("lets spending in a rolling window lapse a window after it was made", async () => {
    const { budgets, clock } = setup();
    const owner = key([{ tokens: 300, period: "rolling", window: 3600 }]);
    const request = { model: "x", promptTokens: 100, maxTokens: 200 };
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
    clock.advance(30 * 60_000);
    const refused = await budgets.reserve([owner], request, prices);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.refusal.resetAt).toBe(Date.parse("2026-12-03T11:00:00Z"));
    clock.advance(30 * 60_000);
    expect((await budgets.reserve([owner], request, prices)).ok).toBe(true);
  });

  it("holds no reservation for an owner without budgets", async () => {
    const { budgets } = setup();
    expect(
      await budgets.reserve([key([])], { model: "paid", promptTokens: 1, maxTokens: 1 }, prices),
    ).toEqual({
      ok: true,
      reservation: undefined,
    });
  });
});
