/** The per-engine gates around KV admission, on vitest's fake timers: nothing sleeps. */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AbortSource } from "../../src/routing/capacity-queue.js";
import { type KvEntry, KvGates } from "../../src/routing/kv-gate.js";

class Signal extends EventEmitter implements AbortSource {
  aborted = false;
  abort() {
    this.aborted = true;
    this.emit("abort");
  }
}

const settings = { blockTokens: 16, holdMs: 1000, waitBoundMs: 15_000, maxQueue: 2 };
/** 4 blocks of 16 tokens. */
const CAPACITY = 64;

function turn(session: string, blocks: number[], decodeBlocks = 1) {
  return { session, blockHashes: blocks, outputTokens: decodeBlocks * settings.blockTokens };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function gates() {
  return new KvGates(settings, () => Date.now());
}

async function admitted(entry: Promise<KvEntry>) {
  const result = await entry;
  if (result.kind !== "admitted") throw new Error(`not admitted: ${result.kind}`);
  return result;
}

describe("KvGates", () => {
  it("queues what does not fit and lets it in once the ended turn's hold ages out", async () => {
    const kv = gates();
    await admitted(kv.enter("e", CAPACITY, turn("keeper", [9]), 60_000, new Signal()));
    const first = await admitted(kv.enter("e", CAPACITY, turn("a", [1]), 60_000, new Signal()));
    let second: KvEntry | undefined;
    void kv.enter("e", CAPACITY, turn("b", [3]), 60_000, new Signal()).then((entry) => {
      second = entry;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBeUndefined();
    expect(kv.queued("e")).toBe(1);
    first.release();
    first.release(); // a second release is ignored
    // a's prompt is held for 1 s after it ends: b fits only once that hold ages out.
    await vi.advanceTimersByTimeAsync(999);
    expect(second).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(second?.kind).toBe("admitted");
    expect(kv.running("e")).toBe(2);
  });

  it("answers full when the queue is at its bound, timeout after the wait, aborted when the client leaves", async () => {
    const kv = gates();
    await admitted(kv.enter("e", CAPACITY, turn("a", [1, 2, 3]), 60_000, new Signal()));
    const leaving = new Signal();
    const waiting = kv.enter("e", CAPACITY, turn("b", [5]), 60_000, leaving);
    const timing = kv.enter("e", CAPACITY, turn("c", [6]), 500, new Signal());
    expect(await kv.enter("e", CAPACITY, turn("d", [7]), 60_000, new Signal())).toEqual({ kind: "full" });
    leaving.abort();
    expect((await waiting).kind).toBe("aborted");
    await vi.advanceTimersByTimeAsync(500);
    expect((await timing).kind).toBe("timeout");
    expect(kv.queued("e")).toBe(0);
  });

  it("keeps its gate when the capacity changes: what runs stays counted, and a larger budget lets the queue in", async () => {
    const kv = gates();
    await admitted(kv.enter("e", CAPACITY, turn("a", [1, 2, 3]), 60_000, new Signal()));
    const waiting = kv.enter("e", CAPACITY, turn("b", [5]), 60_000, new Signal());
    await vi.advanceTimersByTimeAsync(0);
    expect(kv.queued("e")).toBe(1);
    await admitted(kv.enter("e", 4 * CAPACITY, turn("c", [6]), 60_000, new Signal()));
    expect((await waiting).kind).toBe("admitted");
    expect(kv.snapshot()).toEqual({
      e: { capacity_tokens: 4 * CAPACITY, capacity_blocks: 16, working_set_blocks: 8, running: 3, queued: 0 },
    });
  });

  it("keeps one gate per backend", async () => {
    const kv = gates();
    await admitted(kv.enter("e", CAPACITY, turn("a", [1, 2, 3]), 60_000, new Signal()));
    await admitted(kv.enter("f", CAPACITY, turn("b", [1, 2, 3]), 60_000, new Signal()));
    expect(kv.running("e")).toBe(1);
    expect(kv.running("f")).toBe(1);
    kv.forget("f");
    expect(kv.running("f")).toBe(0);
    expect(kv.running("e")).toBe(1);
  });
});
