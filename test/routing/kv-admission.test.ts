/** KV admission for one engine, on an injected clock: nothing sleeps. */
import { describe, expect, it } from "vitest";
import { KvAdmission, type KvAdmissionSettings, type KvTurn } from "../../src/routing/kv-admission.js";

class Clock {
  ms = 1000;
  readonly now = () => this.ms;
}

const settings: KvAdmissionSettings = {
  capacityBlocks: 10,
  blockTokens: 16,
  holdMs: 1500,
  waitBoundMs: 15_000,
  maxQueue: 4,
};

/** A turn whose prompt is `blocks` (small integers stand for chained hashes) and decodes `decode` blocks. */
function turn(session: string, blocks: number[], decode = 1): KvTurn {
  return { session, blockHashes: blocks, outputTokens: decode * settings.blockTokens };
}

function setup(overrides: Partial<KvAdmissionSettings> = {}) {
  const clock = new Clock();
  const admission = new KvAdmission<KvTurn>({ ...settings, ...overrides }, clock.now);
  const offer = (t: KvTurn) => {
    expect(admission.enqueue(t)).toBe(true);
    return admission.admit();
  };
  return { clock, admission, offer };
}

describe("KvAdmission", () => {
  it("admits while the working set fits and queues what would overflow it", () => {
    const { admission, offer } = setup();
    const a = turn("a", [1, 2, 3, 4]);
    const b = turn("b", [5, 6, 7, 8, 9]);
    expect(offer(a)).toEqual([a]);
    expect(admission.workingSetBlocks).toBe(5);
    expect(offer(b)).toEqual([]);
    expect(admission.queued).toBe(1);
    expect(admission.running).toBe(1);
  });

  it("takes a new capacity without forgetting what it holds: a larger one lets the queue in", () => {
    const { admission, offer } = setup();
    const a = turn("a", [1, 2, 3, 4]);
    const b = turn("b", [5, 6, 7, 8, 9]);
    offer(a);
    expect(offer(b)).toEqual([]);
    admission.setCapacity(20);
    expect(admission.admit()).toEqual([b]);
    expect(admission.workingSetBlocks).toBe(11);
    admission.setCapacity(5);
    expect(offer(turn("c", [10]))).toEqual([]);
    expect(admission.running).toBe(2);
  });

  it("counts blocks two sessions share once", () => {
    const { admission, offer } = setup();
    const a = turn("a", [1, 2, 3, 4]);
    const b = turn("b", [1, 2, 3, 9]);
    offer(a);
    expect(offer(b)).toEqual([b]);
    expect(admission.workingSetBlocks).toBe(5 + 2);
  });

  it("always admits on an idle engine, even a turn larger than the budget", () => {
    const { admission, offer } = setup();
    const huge = turn(
      "h",
      Array.from({ length: 30 }, (_, i) => i + 100),
    );
    expect(offer(huge)).toEqual([huge]);
    expect(admission.workingSetBlocks).toBe(31);
  });

  it("keeps an ended session's blocks for the hold window, then lets the queue through", () => {
    const { clock, admission, offer } = setup();
    const a = turn("a", [1, 2, 3, 4]);
    const keeper = turn("k", [20]);
    const b = turn("b", [5, 6, 7, 8]);
    offer(keeper);
    offer(a);
    expect(offer(b)).toEqual([]);
    admission.ended(a);
    // a's prompt is still held while its session thinks; only its decode blocks went.
    expect(admission.workingSetBlocks).toBe(2 + 4);
    expect(admission.admit()).toEqual([]);
    expect(admission.nextWakeMs()).toBe(clock.ms + settings.holdMs);
    clock.ms += settings.holdMs;
    expect(admission.admit()).toEqual([b]);
  });

  it("lets a returning session in within its hold: its own history does not count twice", () => {
    const { admission, offer } = setup();
    const keeper = turn("k", [20, 21, 22]);
    const first = turn("a", [1, 2, 3]);
    offer(keeper);
    offer(first);
    admission.ended(first);
    // 4 (keeper) + 3 (a held) = 7; the next turn of a adds 2 blocks and 1 decode: 10 fits.
    const next = turn("a", [1, 2, 3, 4, 5]);
    expect(offer(next)).toEqual([next]);
    expect(admission.workingSetBlocks).toBe(10);
  });

  it("releases on request end so a queued turn gets in", () => {
    const { admission, offer } = setup({ holdMs: 0 });
    const a = turn("a", [1, 2, 3, 4, 5, 6]);
    const b = turn("b", [7, 8, 9, 10, 11]);
    offer(a);
    expect(offer(b)).toEqual([]);
    admission.ended(a);
    expect(admission.admit()).toEqual([b]);
    expect(admission.workingSetBlocks).toBe(6);
  });

  it("lets the queued turn with the longest held prefix in first", () => {
    const { admission, offer } = setup();
    const running = turn("r", [1, 2, 3, 4, 5, 6, 7, 8]);
    offer(running);
    const cold = turn("cold", [50]);
    const warm = turn("warm", [1, 2, 3, 60]);
    offer(cold);
    offer(warm);
    expect(admission.queued).toBe(2);
    admission.ended(running);
    // r's prompt is still held while its session thinks: the warm turn goes first, and cold no longer fits.
    expect(admission.admit()).toEqual([warm]);
  });

  it("fifo lets the oldest queued turn in first, held prefix or not, and wakes for no wait bound", () => {
    const { admission, offer } = setup({ order: "fifo", waitBoundMs: 5000 });
    const running = turn("r", [1, 2, 3, 4, 5, 6, 7, 8]);
    offer(running);
    const cold = turn("cold", [50]);
    const warm = turn("warm", [1, 2, 3, 60]);
    offer(cold);
    offer(warm);
    expect(admission.nextWakeMs()).toBeUndefined();
    admission.ended(running);
    expect(admission.admit()).toEqual([cold]);
  });

  it("puts a turn that waited past the wait bound first, cached or not", () => {
    const { clock, admission, offer } = setup({ waitBoundMs: 5000 });
    const keeper = turn("k", [1, 2, 3, 4, 5, 6, 7, 8]);
    offer(keeper);
    const cold = turn("cold", [50, 51]);
    offer(cold);
    expect(admission.nextWakeMs()).toBe(clock.ms + 5000);
    clock.ms += 4000;
    const warm = turn("warm", [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    offer(warm);
    clock.ms += 1000;
    admission.ended(keeper);
    // keeper's blocks are held (hold window): warm has 8 of them, cold none, but cold waited 5 s.
    expect(admission.admit()).toEqual([cold]);
  });

  it("before the wait bound, the warm turn wins over an older cold one", () => {
    const { clock, admission, offer } = setup({ waitBoundMs: 5000 });
    const keeper = turn("k", [1, 2, 3, 4, 5, 6, 7, 8]);
    offer(keeper);
    const cold = turn("cold", [50, 51]);
    offer(cold);
    clock.ms += 1000;
    const warm = turn("warm", [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    offer(warm);
    admission.ended(keeper);
    expect(admission.admit()).toEqual([warm]);
  });

  it("refuses a turn once the queue is full, and takes a withdrawn one out", () => {
    const { admission, offer } = setup({ maxQueue: 2 });
    offer(turn("r", [1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const q1 = turn("q1", [20]);
    const q2 = turn("q2", [21]);
    offer(q1);
    offer(q2);
    expect(admission.enqueue(turn("q3", [22]))).toBe(false);
    expect(admission.withdraw(q1)).toBe(true);
    expect(admission.withdraw(q1)).toBe(false);
    expect(admission.queued).toBe(1);
    expect(admission.enqueue(turn("q3", [22]))).toBe(true);
  });

  it("returns to an empty working set when every turn has ended and every hold aged out", () => {
    const { clock, admission, offer } = setup();
    const a = turn("a", [1, 2]);
    const b = turn("b", [1, 3]);
    offer(a);
    offer(b);
    admission.ended(a);
    admission.ended(b);
    clock.ms += settings.holdMs;
    admission.admit();
    expect(admission.workingSetBlocks).toBe(0);
    expect(admission.nextWakeMs()).toBeUndefined();
  });

  it("with a ceiling, holds ended sessions as long as they are seen to take to return", () => {
    const { clock, admission, offer } = setup({ holdCeilingMs: 30_000, maxQueue: 100 });
    expect(admission.holdMs).toBe(settings.holdMs);
    for (let index = 0; index < 40; index++) {
      const first = turn(`s${index}`, [index + 100]);
      offer(first);
      admission.ended(first);
      clock.ms += 2000;
      const next = turn(`s${index}`, [index + 100, 1]);
      offer(next);
      admission.ended(next);
      clock.ms += 100_000;
      admission.admit();
    }
    // Sessions come back 2 s after their turn ends: the 1.5 s hold grows to cover that.
    expect(admission.holdMs).toBeCloseTo(2200);
  });
});
