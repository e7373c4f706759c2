import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/state/memory.js";
import { manualClock, runStateStoreConformance } from "./conformance.js";
import { unexpectedErrors } from "./store-errors.js";

runStateStoreConformance("memory", async () => {
  const errors: unknown[] = [];
  const clock = manualClock();
  const store = new MemoryStore({ now: clock.now, onError: (error) => errors.push(error) });
  return {
    store,
    clock,
    cleanup: async () => {
      await store.close();
      expect(unexpectedErrors(errors)).toEqual([]);
    },
  };
});

describe("MemoryStore", () => {
  it("follows an injected clock", async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    await store.acquire("b", 1, 100);
    expect(await store.acquire("b", 1, 100)).toBeUndefined();
    now += 100;
    expect(await store.inflight("b")).toBe(0);
    const opened = await store.recordFailure("b", 1, 500);
    expect(opened).toEqual({ state: "open", consecutiveFailures: 1, openedUntil: now + 500 });
    now += 500;
    expect((await store.circuit("b")).state).toBe("half_open");
  });

  it("sweeps expired leases of an uncapped backend instead of growing", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    for (let index = 0; index < 1_000; index++) {
      await store.acquire("b", 0, 10);
      now += 1;
    }
    expect(await store.inflight("b")).toBeLessThanOrEqual(10);
  });
});
