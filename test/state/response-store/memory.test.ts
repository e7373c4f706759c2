import { describe, expect, it } from "vitest";
import { MemoryResponseStore } from "../../../src/state/response-store/memory.js";
import { manualClock } from "../conformance.js";
import { entry, LIMITS, runResponseStoreConformance } from "./conformance.js";

runResponseStoreConformance("memory", async (limits) => {
  const clock = manualClock();
  const store = new MemoryResponseStore({ ...limits, now: clock.now });
  return { store, clock, cleanup: () => store.close() };
});

describe("MemoryResponseStore", () => {
  it("stays within its bounds under many puts", async () => {
    let now = 0;
    const store = new MemoryResponseStore({ ...LIMITS, maxEntries: 50, ttlMs: 100, now: () => now });
    for (let index = 0; index < 2_000; index++) {
      await store.put(entry(`resp_${index}`, index % 300));
      now += 1;
      const stats = await store.stats();
      expect(stats.entries).toBeLessThanOrEqual(50);
      expect(stats.bytes).toBeLessThanOrEqual(LIMITS.maxBytes);
    }
    // Everything put in the last TTL that fits the count bound, and nothing older.
    expect(await store.get("resp_1950")).toBeDefined();
    expect(await store.get("resp_1949")).toBeUndefined();
  });
});
