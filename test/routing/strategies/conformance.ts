/**
 * The suite every strategy passes: it picks only among the candidates it is given, returns
 * undefined for none, and spreads load over all of them.
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
  });
}
