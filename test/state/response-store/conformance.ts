/**
 * The behaviour every {@link ResponseStore} must show, run against each implementation
 * (`memory.test.ts`, `redis.test.ts`). Each store runs on a clock the suite moves by hand, so TTL
 * cases take no time: the Redis store's scripts read that clock too (the `now` option).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  ResponseStore,
  ResponseStoreLimits,
  StoredResponse,
} from "../../../src/state/response-store/response-store.js";
import type { FixtureClock } from "../conformance.js";

export interface ResponseStoreFixture {
  store: ResponseStore;
  clock: FixtureClock;
  cleanup: () => Promise<void>;
}

/** Makes a store with these limits on a fresh, empty keyspace. */
export type CreateResponseStore = (limits: ResponseStoreLimits) => Promise<ResponseStoreFixture>;

export const LIMITS: ResponseStoreLimits = {
  maxEntries: 100,
  maxBytes: 1_000_000,
  maxEntryBytes: 100_000,
  ttlMs: 60_000,
};

/** An entry whose JSON is about `padding` bytes plus a hundred or so. */
export function entry(id: string, padding = 0, input: unknown[] = []): StoredResponse {
  return {
    id,
    response: {
      id,
      object: "response",
      status: "completed",
      output: [{ id: `msg_${id}`, type: "message", role: "assistant", content: [] }],
      metadata: { pad: "x".repeat(padding) },
    },
    input,
    createdAt: 1_700_000_000_000,
  };
}

function bytesOf(stored: StoredResponse): number {
  return Buffer.byteLength(JSON.stringify(stored));
}

export function runResponseStoreConformance(name: string, create: CreateResponseStore): void {
  describe(`ResponseStore conformance: ${name}`, () => {
    const fixtures: ResponseStoreFixture[] = [];

    async function open(limits: Partial<ResponseStoreLimits> = {}): Promise<ResponseStoreFixture> {
      const fixture = await create({ ...LIMITS, ...limits });
      fixtures.push(fixture);
      return fixture;
    }

    let store: ResponseStore;
    let clock: FixtureClock;

    beforeEach(async () => {
      ({ store, clock } = await open());
    });

    afterEach(async () => {
      await Promise.all(fixtures.splice(0).map((fixture) => fixture.cleanup()));
    });

    it("puts, gets and deletes", async () => {
      const one = {
        ...entry("resp_1", 0, [{ id: "msg_in", type: "message", role: "user" }]),
        backendId: "gpu-1",
      };
      expect(await store.put(one)).toBe("stored");
      expect(await store.get("resp_1")).toEqual(one);
      expect(await store.get("resp_unknown")).toBeUndefined();
      expect(await store.delete("resp_1")).toBe(true);
      expect(await store.get("resp_1")).toBeUndefined();
      expect(await store.delete("resp_1")).toBe(false);
      expect(await store.delete("resp_unknown")).toBe(false);
    });

    it("keeps snapshots: changing what was put or what was read changes nothing stored", async () => {
      const original = entry("resp_1", 0, [{ id: "msg_a", type: "message", content: "hello" }]);
      const given = structuredClone(original) as StoredResponse & { input: unknown[] };
      await store.put(given);
      given.input.push({ id: "msg_later" });
      (given.response as { status: string }).status = "failed";
      const read = (await store.get("resp_1")) as StoredResponse & { input: { content?: string }[] };
      expect(read).toEqual(original);
      read.input[0]!.content = "changed";
      (read.response as { status: string }).status = "failed";
      expect(await store.get("resp_1")).toEqual(original);
    });

    it("never changes one entry by putting another: a branch does not see later turns", async () => {
      const first = entry("resp_1", 0, [{ id: "msg_1" }]);
      await store.put(first);
      await store.put(entry("resp_2a", 0, [{ id: "msg_1" }, { id: "msg_out_1" }, { id: "msg_2a" }]));
      await store.put(entry("resp_2b", 0, [{ id: "msg_1" }, { id: "msg_out_1" }, { id: "msg_2b" }]));
      expect(await store.get("resp_1")).toEqual(first);
      expect((await store.get("resp_2a"))?.input).toEqual([
        { id: "msg_1" },
        { id: "msg_out_1" },
        { id: "msg_2a" },
      ]);
    });

    it("replaces an entry put again under the same id, counting it once", async () => {
      await store.put(entry("resp_1", 10));
      await store.put(entry("resp_1", 20));
      expect((await store.get("resp_1"))?.response.metadata).toEqual({ pad: "x".repeat(20) });
      expect(await store.stats()).toEqual({ entries: 1, bytes: bytesOf(entry("resp_1", 20)) });
    });

    it("forgets an entry after its TTL", async () => {
      await store.put(entry("resp_old"));
      await clock.advance(LIMITS.ttlMs / 2);
      await store.put(entry("resp_new"));
      await clock.advance(LIMITS.ttlMs / 2 - 1);
      expect(await store.get("resp_old")).toBeDefined();
      await clock.advance(1);
      expect(await store.get("resp_old")).toBeUndefined();
      expect(await store.delete("resp_old")).toBe(false);
      expect(await store.get("resp_new")).toBeDefined();
      expect(await store.stats()).toEqual({ entries: 1, bytes: bytesOf(entry("resp_new")) });
      await clock.advance(LIMITS.ttlMs / 2);
      expect(await store.get("resp_new")).toBeUndefined();
      expect(await store.stats()).toEqual({ entries: 0, bytes: 0 });
    });

    it("holds at most maxEntries, evicting the oldest first", async () => {
      const bounded = (await open({ maxEntries: 3 })).store;
      for (const id of ["resp_1", "resp_2", "resp_3", "resp_4", "resp_5"]) {
        expect(await bounded.put(entry(id))).toBe("stored");
        await clock.advance(1);
      }
      expect(await bounded.get("resp_1")).toBeUndefined();
      expect(await bounded.get("resp_2")).toBeUndefined();
      for (const id of ["resp_3", "resp_4", "resp_5"]) expect(await bounded.get(id)).toBeDefined();
      expect((await bounded.stats()).entries).toBe(3);
    });

    it("holds at most maxBytes, evicting the oldest first until a new entry fits", async () => {
      const size = bytesOf(entry("resp_1", 1_000));
      const bounded = (await open({ maxBytes: size * 3 + 10 })).store;
      for (const id of ["resp_1", "resp_2", "resp_3"]) await bounded.put(entry(id, 1_000));
      expect(await bounded.stats()).toEqual({ entries: 3, bytes: size * 3 });
      // Twice the size: the two oldest go.
      const big = entry("resp_4", 1_000 + size);
      expect(await bounded.put(big)).toBe("stored");
      expect(await bounded.get("resp_1")).toBeUndefined();
      expect(await bounded.get("resp_2")).toBeUndefined();
      expect(await bounded.get("resp_3")).toBeDefined();
      expect(await bounded.get("resp_4")).toEqual(big);
      const stats = await bounded.stats();
      expect(stats).toEqual({ entries: 2, bytes: size + bytesOf(big) });
      expect(stats.bytes).toBeLessThanOrEqual(size * 3 + 10);
    });

    it("refuses an entry over maxEntryBytes (or maxBytes) without evicting anything", async () => {
      const bounded = (await open({ maxEntryBytes: 2_000, maxBytes: 5_000 })).store;
      await bounded.put(entry("resp_small"));
      expect(await bounded.put(entry("resp_big", 2_000))).toBe("too_large");
      expect(await bounded.get("resp_big")).toBeUndefined();
      const overTotal = (await open({ maxEntryBytes: 10_000, maxBytes: 1_000 })).store;
      expect(await overTotal.put(entry("resp_big", 2_000))).toBe("too_large");
      expect(await bounded.get("resp_small")).toBeDefined();
      expect((await bounded.stats()).entries).toBe(1);
    });

    it("counts entries and their JSON bytes", async () => {
      expect(await store.stats()).toEqual({ entries: 0, bytes: 0 });
      await store.put(entry("resp_1", 5));
      await store.put(entry("resp_2", 50));
      expect(await store.stats()).toEqual({
        entries: 2,
        bytes: bytesOf(entry("resp_1", 5)) + bytesOf(entry("resp_2", 50)),
      });
      await store.delete("resp_1");
      expect(await store.stats()).toEqual({ entries: 1, bytes: bytesOf(entry("resp_2", 50)) });
    });

    it("stores ids and text of any characters", async () => {
      const odd = entry("resp_ü:{x}/ 1", 0, [{ id: "m", content: 'é 漢字 🙂 \u0000 "quoted"' }]);
      await store.put(odd);
      expect(await store.get("resp_ü:{x}/ 1")).toEqual(odd);
      expect((await store.stats()).bytes).toBe(bytesOf(odd));
    });
  });
}
