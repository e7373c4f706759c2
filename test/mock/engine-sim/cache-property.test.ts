/** KvCache invariants under random allocate / compute / release sequences (fast-check). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BlockTable, KvCache } from "../../../src/mock/engine-sim/cache.js";
import { blockHashes } from "../../../src/mock/engine-sim/tokens.js";

/** Prompts drawn from a few shared prefixes, so that sequences share and evict blocks. */
const PREFIXES = ["a", "b", "c"].map((tag) => tag.repeat(64 * 6));

const operation = fc.oneof(
  fc.record({
    kind: fc.constant("allocate" as const),
    prefix: fc.integer({ min: 0, max: PREFIXES.length - 1 }),
    suffix: fc.integer({ min: 0, max: 5 }),
    extraBlocks: fc.integer({ min: 0, max: 4 }),
  }),
  fc.record({ kind: fc.constant("compute" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
);

describe("KvCache invariants", () => {
  it("never holds more than its capacity, and gives back exactly what sequences took", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const capacity = 24;
        const cache = new KvCache(capacity);
        const live: BlockTable[] = [];
        for (const op of operations) {
          if (op.kind === "allocate") {
            const text = PREFIXES[op.prefix]! + `s${op.suffix}`.repeat(40);
            const hashes = blockHashes(text);
            const table = cache.allocate(hashes, hashes.length + op.extraBlocks);
            if (table) live.push(table);
          } else if (live.length > 0) {
            const table = live[op.pick % live.length]!;
            if (op.kind === "compute") cache.markComputed(table);
            else {
              cache.release(table);
              live.splice(live.indexOf(table), 1);
            }
          }
          const held = live.reduce((sum, table) => sum + table.privateBlocks, 0);
          const sharedHeld = new Set(live.flatMap((table) => table.shared)).size;
          expect(cache.usedBlocks).toBe(held + sharedHeld);
          expect(cache.usedBlocks + cache.evictableBlocks).toBeLessThanOrEqual(capacity);
          expect(cache.cachedBlocks).toBe(sharedHeld + cache.evictableBlocks);
        }
        for (const table of live) cache.release(table);
        expect(cache.usedBlocks).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
