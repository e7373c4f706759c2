import { describe, expect, it, vi } from "vitest";
import { LruCache } from "../../src/serve/lru.js";
import { SequencePool } from "../../src/serve/sequence-pool.js";

describe("LruCache", () => {
  it("evicts the least recently used entry beyond capacity", () => {
    const evicted = vi.fn();
    const cache = new LruCache<string, number>(2, evicted);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(evicted).toHaveBeenCalledWith(2);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});

describe("SequencePool", () => {
  it("hands out each sequence once and takes it back however the work ends", async () => {
    const pool = new SequencePool(["s1", "s2"]);
    const held = pool.take();
    expect(pool.free).toBe(1);
    await expect(
      pool.with(async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(pool.free).toBe(1);
    pool.take();
    expect(() => pool.take()).toThrow(/no free context sequence/);
    pool.give(held);
    expect(() => pool.give(held)).toThrow(/returned twice/);
  });
});
