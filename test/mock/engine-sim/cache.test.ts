import { describe, expect, it } from "vitest";
import { KvCache } from "../../../src/mock/engine-sim/cache.js";
import { BLOCK_TOKENS, blockHashes, blocksFor, simTokenCount } from "../../../src/mock/engine-sim/tokens.js";

/** A prompt of `blocks` full blocks, distinct per `tag`. */
function prompt(tag: string, blocks: number): string {
  return `${tag}:`.padEnd(blocks * BLOCK_TOKENS * 4, `${tag}.`);
}

describe("simulated tokens and block hashes", () => {
  it("counts 4 characters a token and hashes only full blocks, chained on everything before", () => {
    expect(simTokenCount("")).toBe(1);
    expect(simTokenCount("abcde")).toBe(2);
    expect(blocksFor(17)).toBe(2);
    const system = prompt("sys", 3);
    const a = blockHashes(`${system}${"a".repeat(100)}`);
    const b = blockHashes(`${system}${"b".repeat(100)}`);
    expect(a).toHaveLength(4);
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3));
    expect(a[3]).not.toBe(b[3]);
    // The same block text after a different prefix is a different block.
    const shifted = blockHashes(`x${"a".repeat(63)}${"a".repeat(64)}`);
    expect(blockHashes("a".repeat(128))[1]).not.toBe(shifted[1]);
  });
});

describe("KvCache", () => {
  it("shares a computed prefix with a later sequence and counts it as hit blocks", () => {
    const cache = new KvCache(100);
    const first = blockHashes(prompt("p", 10));
    const table = cache.allocate(first, 12)!;
    expect(table.hitBlocks).toBe(0);
    expect(cache.usedBlocks).toBe(12);
    // Not computed yet: a second sequence gets its own copies.
    expect(cache.cachedPrefix(first)).toBe(0);
    cache.markComputed(table);
    const second = cache.allocate(first.slice(0, 8), 9)!;
    expect(second.hitBlocks).toBe(8);
    expect(cache.usedBlocks).toBe(12 + 1);
    cache.release(second);
    cache.release(table);
    expect(cache.usedBlocks).toBe(0);
    expect(cache.cachedBlocks).toBe(10);
    expect(cache.usage()).toBe(0);
    // Released but cached: a third sequence still hits the whole prefix.
    expect(cache.allocate(first, 10)!.hitBlocks).toBe(10);
  });

  it("evicts the least recently used unreferenced blocks, never referenced ones, tails first", () => {
    const cache = new KvCache(10);
    const old = blockHashes(prompt("old", 4));
    const held = blockHashes(prompt("held", 4));
    const oldTable = cache.allocate(old, 4)!;
    cache.markComputed(oldTable);
    cache.release(oldTable);
    const heldTable = cache.allocate(held, 4)!;
    cache.markComputed(heldTable);
    // 4 held, 4 evictable, 2 empty: a 4-block newcomer takes the 2 empty and evicts old's last 2.
    const newcomer = cache.allocate(blockHashes(prompt("new", 4)), 4)!;
    expect(newcomer.hitBlocks).toBe(0);
    expect(cache.cachedPrefix(old)).toBe(2);
    expect(cache.cachedPrefix(held)).toBe(4);
    expect(cache.usedBlocks).toBe(8);
  });

  it("refuses what does not fit beside referenced blocks, changing nothing", () => {
    const cache = new KvCache(10);
    const table = cache.allocate(blockHashes(prompt("a", 6)), 8)!;
    expect(cache.allocate(blockHashes(prompt("b", 2)), 3)).toBeUndefined();
    expect(cache.usedBlocks).toBe(8);
    expect(cache.allocate(blockHashes(prompt("b", 2)), 2)).toBeDefined();
    expect(cache.usedBlocks).toBe(10);
    expect(cache.usage()).toBe(1);
    cache.release(table);
    expect(cache.usedBlocks).toBe(2);
  });

  it("counts reviving an evictable hit block against the free space", () => {
    const cache = new KvCache(4);
    const shared = blockHashes(prompt("s", 2));
    const first = cache.allocate(shared, 2)!;
    cache.markComputed(first);
    cache.release(first);
    const other = cache.allocate(blockHashes(prompt("o", 2)), 2)!;
    expect(other).toBeDefined();
    // 2 held by `other`, 2 evictable hits: a sequence needing the 2 hits plus 1 more cannot fit.
    expect(cache.allocate(shared, 3)).toBeUndefined();
    expect(cache.allocate(shared, 2)!.hitBlocks).toBe(2);
  });

  it("resets the prefix cache: unreferenced blocks are forgotten, held ones kept", () => {
    const cache = new KvCache(20);
    const released = cache.allocate(blockHashes(prompt("r", 3)), 3)!;
    cache.markComputed(released);
    cache.release(released);
    const held = cache.allocate(blockHashes(prompt("h", 2)), 2)!;
    cache.markComputed(held);
    expect(cache.resetPrefixCache()).toBe(3);
    expect(cache.cachedPrefix(blockHashes(prompt("r", 3)))).toBe(0);
    expect(cache.cachedPrefix(blockHashes(prompt("h", 2)))).toBe(2);
    expect(cache.usedBlocks).toBe(2);
  });
});
