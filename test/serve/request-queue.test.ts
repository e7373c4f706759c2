import { describe, expect, it } from "vitest";
import { type Lease, QueueFullError, RequestQueue } from "../../src/serve/request-queue.js";

/** A clock the test moves by hand. */
function fakeClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Whether a promise has settled, after letting microtasks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("RequestQueue", () => {
  it("grants up to maxConcurrent at once, then queues FIFO up to maxQueue, then refuses", async () => {
    const queue = new RequestQueue({ maxConcurrent: 2, maxQueue: 2 }, fakeClock().now);
    const a = await queue.acquire();
    const b = await queue.acquire();
    const c = queue.acquire();
    const d = queue.acquire();
    expect(queue.snapshot()).toMatchObject({ active: 2, waiting: 2 });
    await expect(queue.acquire()).rejects.toBeInstanceOf(QueueFullError);
    expect(queue.snapshot().rejected).toBe(1);

    b.release();
    expect(await settled(c)).toBe(true);
    expect(await settled(d)).toBe(false);
    a.release();
    expect(await settled(d)).toBe(true);
    expect(queue.snapshot()).toMatchObject({ active: 2, waiting: 0, processed: 2 });
  });

  it("serves waiters in arrival order", async () => {
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 3 });
    const first = await queue.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      queue.acquire().then((lease) => {
        order.push(n);
        lease.release();
      }),
    );
    first.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(queue.snapshot()).toMatchObject({ active: 0, waiting: 0, processed: 4 });
  });

  it("counts a second release once", async () => {
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 1 });
    const lease = await queue.acquire();
    lease.release();
    lease.release();
    expect(queue.snapshot()).toMatchObject({ active: 0, processed: 1 });
    const other = await queue.acquire();
    lease.release();
    expect(queue.snapshot().active).toBe(1);
    other.release();
  });

  it("a waiter whose signal aborts leaves at once and the next moves up", async () => {
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 2 });
    const running = await queue.acquire();
    const controller = new AbortController();
    const leaving = queue.acquire(controller.signal);
    const staying = queue.acquire();
    controller.abort();
    await expect(leaving).rejects.toMatchObject({ name: "AbortError" });
    expect(queue.snapshot()).toMatchObject({ waiting: 1, cancelled: 1 });
    running.release();
    const lease: Lease = await staying;
    expect(queue.snapshot()).toMatchObject({ active: 1, waiting: 0 });
    lease.release();
  });

  it("an already aborted signal never enters the queue", async () => {
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(queue.acquire(controller.signal)).rejects.toBeDefined();
    expect(queue.snapshot()).toMatchObject({ active: 0, cancelled: 1 });
  });

  it("an abort after the slot was granted changes nothing in the queue", async () => {
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 1 });
    const controller = new AbortController();
    const lease = await queue.acquire(controller.signal);
    controller.abort();
    expect(queue.snapshot()).toMatchObject({ active: 1, cancelled: 0 });
    lease.release();
  });

  it("maxQueue 0 refuses as soon as every slot is busy", async () => {
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 0 });
    const lease = await queue.acquire();
    await expect(queue.acquire()).rejects.toBeInstanceOf(QueueFullError);
    lease.release();
    (await queue.acquire()).release();
  });

  it("reports how long a request waited, by the injected clock", async () => {
    const clock = fakeClock();
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 1 }, clock.now);
    const first = await queue.acquire();
    expect(first.waitedMs).toBe(0);
    const second = queue.acquire();
    clock.advance(250);
    first.release();
    expect((await second).waitedMs).toBe(250);
  });

  it("estimates Retry-After from the average time a slot is held", async () => {
    const clock = fakeClock();
    const queue = new RequestQueue({ maxConcurrent: 2, maxQueue: 4 }, clock.now);
    // Nothing finished yet: one second per round.
    expect(queue.retryAfterSeconds()).toBe(1);
    const lease = await queue.acquire();
    clock.advance(4_000);
    lease.release();
    // One round of 4 s ahead of a newcomer.
    expect(queue.retryAfterSeconds()).toBe(4);
    const held = [await queue.acquire(), await queue.acquire()];
    const waiting = [queue.acquire(), queue.acquire(), queue.acquire()];
    // Three waiting plus the newcomer on two slots: two rounds.
    expect(queue.retryAfterSeconds()).toBe(8);
    for (const lease of held) lease.release();
    for (const lease of await Promise.all(waiting.slice(0, 2))) lease.release();
    (await waiting[2]!).release();
  });

  it("caps Retry-After at a minute and puts it on the error", async () => {
    const clock = fakeClock();
    const queue = new RequestQueue({ maxConcurrent: 1, maxQueue: 0 }, clock.now);
    const lease = await queue.acquire();
    clock.advance(600_000);
    lease.release();
    const again = await queue.acquire();
    const refusal = await queue.acquire().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(QueueFullError);
    expect((refusal as QueueFullError).retryAfterSeconds).toBe(60);
    again.release();
  });

  it("rejects impossible limits", () => {
    expect(() => new RequestQueue({ maxConcurrent: 0, maxQueue: 1 })).toThrow(RangeError);
    expect(() => new RequestQueue({ maxConcurrent: 1, maxQueue: -1 })).toThrow(RangeError);
  });
});
