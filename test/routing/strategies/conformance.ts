/**
 * The suite every strategy passes: it picks only among the candidates it is given, returns
 * undefined for none, spreads load over all of them, never writes to what it is given, and takes
 * results and removals for any backend, known or not.
 */
import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import type { Strategy } from "../../../src/routing/strategies/strategy.js";

export function candidates(count: number, overrides: Partial<BackendView> = {}): BackendView[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `b${index}`,
    url: `http://127.0.0.1:${9000 + index}`,
    kind: "openai" as const,
    weight: 1,
    maxConnections: 0,
    inflight: 0,
    queueDepth: 0,
    models: ["m"],
    ...overrides,
  }));
}

export function runStrategyConformance(name: string, create: () => Strategy): void {
  describe(`${name} conformance`, () => {
    it("returns undefined when there is no candidate", () => {
      expect(create().pick([], { model: "m" })).toBeUndefined();
    });

    it("always picks one of the candidates it was given", () => {
      const strategy = create();
      const pool = candidates(5);
      for (let i = 0; i < 200; i++) {
        const subset = pool.filter((_, index) => (i + index) % 3 !== 0);
        expect(subset).toContain(strategy.pick(subset, { model: "m", sessionKey: `s${i % 7}` }));
      }
    });

    it("uses every candidate over many requests without session keys", () => {
      const strategy = create();
      const pool = candidates(4);
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++)
        seen.add(strategy.pick(pool, { model: "m", sessionKey: `user-${i}` })!.id);
      expect(seen.size).toBe(4);
    });

    it("returns the only candidate when there is one", () => {
      const strategy = create();
      const [only] = candidates(1);
      for (const request of [{ model: "m" }, { model: "m", sessionKey: "s", promptPrefix: "p" }])
        expect(strategy.pick([only!], request)).toBe(only);
    });

    it("never writes to the candidates", () => {
      const strategy = create();
      // Frozen, so any write throws (modules run in strict mode).
      const pool = Object.freeze(candidates(3, { inflight: 2 }).map((backend) => Object.freeze(backend)));
      for (let i = 0; i < 50; i++) {
        strategy.pick(pool, { model: "m", sessionKey: `s${i}`, promptPrefix: `p${i % 5}` });
        strategy.onResult?.(pool[i % 3]!.id, i % 4 === 0 ? "failure" : "success", 10 + i);
      }
      expect(pool.map((backend) => backend.inflight)).toEqual([2, 2, 2]);
    });

    it("takes results and removals for unknown and forgotten backends", () => {
      const strategy = create();
      const pool = candidates(3);
      strategy.onResult?.("unknown", "failure", 5);
      strategy.forget?.("unknown");
      for (let i = 0; i < 20; i++) {
        const picked = strategy.pick(pool, { model: "m", sessionKey: `s${i}`, promptPrefix: `p${i}` })!;
        strategy.onResult?.(picked.id, "success", 20);
      }
      strategy.forget?.("b1");
      const rest = pool.filter((backend) => backend.id !== "b1");
      for (let i = 0; i < 20; i++)
        expect(rest).toContain(
          strategy.pick(rest, { model: "m", sessionKey: `s${i}`, promptPrefix: `p${i}` }),
        );
    });

    it("works with requests that have every field, or only the model", () => {
      const strategy = create();
      const pool = candidates(3);
      expect(pool).toContain(strategy.pick(pool, { model: "m" }));
      expect(pool).toContain(strategy.pick(pool, { model: "m", sessionKey: "", promptPrefix: "" }));
      expect(pool).toContain(
        strategy.pick(pool, { model: "m", sessionKey: "k", promptPrefix: "x".repeat(5000) }),
      );
    });
  });
}

/** How many times each backend id was picked over `count` picks. */
export function tally(
  count: number,
  pickOne: (index: number) => BackendView | undefined,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let index = 0; index < count; index++) {
    const id = pickOne(index)?.id ?? "none";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export { seededRandom } from "../../../src/random/seeded-random.js";
