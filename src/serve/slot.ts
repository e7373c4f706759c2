/**
 * Running a request's work in a queue slot: the client's disconnect as an AbortSignal, admission (429
 * when full, silent leave when the client goes away while waiting), and the release that frees the slot
 * exactly once whatever the work does.
 * @module
 */
import type { FastifyReply } from "fastify";
import type { ServeContext } from "./context.js";
import { ServeError } from "./errors.js";
import type { RequestRoute } from "./metrics.js";
import { QueueFullError } from "./request-queue.js";

/** Aborts when the client closes the connection before the response was fully written. */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // The client may already be gone (it left while the body was read or the prompt rendered).
  if (reply.raw.destroyed || reply.raw.socket?.destroyed === true) controller.abort();
  else {
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
  }
  return controller.signal;
}

/** Ends a response whose client is gone, without a body (fastify must not try to send one). */
export function abandon(reply: FastifyReply): void {
  if (!reply.sent) reply.hijack();
  reply.raw.end();
}

/** `fn`, callable many times, running only the first time. */
export function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/**
 * Runs `work` holding a slot. Resolves `undefined` without running it when the client left while
 * waiting; rejects with a 429 {@link ServeError} when the queue is full. The slot is released when
 * `work` settles, so the next waiter starts at once.
 */
export async function inSlot<T>(
  context: ServeContext,
  route: RequestRoute,
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const { metrics } = context;
  let lease: Awaited<ReturnType<typeof context.queue.acquire>>;
  try {
    lease = await context.queue.acquire(signal);
  } catch (error) {
    if (error instanceof QueueFullError) {
      throw new ServeError("SWY_ERR_SERVE_QUEUE_FULL", error.message, {
        retryAfterSeconds: error.retryAfterSeconds,
        cause: error,
      });
    }
    if (signal.aborted) return undefined;
    throw error;
  }
  metrics.queueWaitSeconds.observe(lease.waitedMs / 1000);
  const stopTimer = metrics.generationSeconds.startTimer({ route });
  try {
    return await work();
  } finally {
    stopTimer();
    lease.release();
  }
}
