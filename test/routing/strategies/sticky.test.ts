import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import { StickyStrategy } from "../../../src/routing/strategies/sticky.js";
import { candidates, runStrategyConformance, tally } from "./conformance.js";

runStrategyConformance("sticky", () => new StickyStrategy());

function named(ids: readonly string[]): BackendView[] {
  return candidates(ids.length).map((backend, index) => ({ ...backend, id: ids[index]! }));
}

function assign(strategy: StickyStrategy, pool: readonly BackendView[], keys: readonly string[]): string[] {
  return keys.map((sessionKey) => strategy.pick(pool, { model: "m", sessionKey })!.id);
}

const keySets = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 24 }), {
  minLength: 2_000,
  maxLength: 2_000,
});
const backendIds = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 16 }), { minLength: 5, maxLength: 5 });

describe("sticky", () => {
  it("sends the same session key to the same backend every time, whatever else happens", () => {
    const strategy = new StickyStrategy();
    const pool = candidates(4);
    const first = assign(strategy, pool, ["alice", "bob", "carol"]);
    for (let i = 0; i < 20; i++) {
      strategy.pick(candidates(3), { model: "other", sessionKey: `noise-${i}` });
      expect(assign(strategy, pool, ["alice", "bob", "carol"])).toEqual(first);
    }
    // A new instance (another replica, a restart) agrees.
    expect(assign(new StickyStrategy(), pool, ["alice", "bob", "carol"])).toEqual(first);
  });

  it("does not depend on candidate order", () => {
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const pool = candidates(4);
    expect(assign(new StickyStrategy(), [...pool].reverse(), keys)).toEqual(
      assign(new StickyStrategy(), pool, keys),
    );
  });

  it("spreads many keys over the backends", () => {
    const strategy = new StickyStrategy();
    const counts = tally(4_000, (i) => strategy.pick(candidates(4), { model: "m", sessionKey: `k${i}` }));
    for (const id of ["b0", "b1", "b2", "b3"]) {
      expect(counts.get(id)).toBeGreaterThan(700);
      expect(counts.get(id)).toBeLessThan(1_300);
    }
  });

  it("adding a 5th backend moves about 1/5 of the keys, all onto the new one", () => {
    fc.assert(
      fc.property(keySets, backendIds, (keys, ids) => {
        const strategy = new StickyStrategy();
        const before = assign(strategy, named(ids.slice(0, 4)), keys);
        const after = assign(strategy, named(ids), keys);
        let moved = 0;
        for (let i = 0; i < keys.length; i++) {
          if (before[i] === after[i]) continue;
          moved++;
          expect(after[i]).toBe(ids[4]);
        }
        expect(moved / keys.length).toBeGreaterThan(0.1);
        expect(moved / keys.length).toBeLessThan(0.32);
      }),
      { numRuns: 15 },
    );
  });

  it("removing a backend moves only its own keys", () => {
    fc.assert(
      fc.property(keySets, backendIds, fc.nat({ max: 4 }), (keys, ids, removed) => {
        const strategy = new StickyStrategy();
        const before = assign(strategy, named(ids), keys);
        const after = assign(strategy, named(ids.filter((_, index) => index !== removed)), keys);
        for (let i = 0; i < keys.length; i++) {
          if (before[i] !== ids[removed]) expect(after[i]).toBe(before[i]);
        }
      }),
      { numRuns: 15 },
    );
  });

  it("gives a backend its sessions back when it returns", () => {
    const strategy = new StickyStrategy();
    const keys = Array.from({ length: 300 }, (_, i) => `s${i}`);
    const pool = candidates(4);
    const before = assign(strategy, pool, keys);
    assign(strategy, pool.slice(1), keys);
    expect(assign(strategy, pool, keys)).toEqual(before);
  });

  it("routes requests without a session key by least connections, rotating ties", () => {
    const strategy = new StickyStrategy();
    const pool = candidates(3).map((backend, index) => ({ ...backend, inflight: index === 1 ? 4 : 0 }));
    const picks = Array.from({ length: 4 }, () => strategy.pick(pool, { model: "m" })!.id);
    expect(picks).toEqual(["b0", "b2", "b2", "b0"]);
  });

  it("maps keys the same after a forget, since the ring depends only on the ids", () => {
    const strategy = new StickyStrategy();
    const pool = candidates(3);
    const before = assign(strategy, pool, ["x", "y", "z"]);
    strategy.forget("b1");
    expect(assign(strategy, pool, ["x", "y", "z"])).toEqual(before);
  });
});
