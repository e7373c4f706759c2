/**
 * What the Redis store does when Redis cannot be reached: reads and decisions fall back to the
 * local view ({@link attempt}); writes the local view already has are queued and replayed after
 * reconnection ({@link ReplayQueue}). Errors Redis itself returned are reported and never queued:
 * replaying them would fail again and hold the resynchronisation up for ever.
 * @module
 */
import { isServerError, type RedisLink, RedisReplyError } from "./redis-link.js";

/** Writes kept while Redis is unreachable; beyond this the oldest are dropped (leases expire anyway). */
const MAX_REPLAY = 10_000;

/**
 * `remote` when the link is online, else `local`; also `local` when `remote` fails. Never rejects
 * (as long as `local` does not). The link has already reported its own errors.
 */
export async function attempt<T>(
  link: RedisLink,
  remote: () => Promise<T>,
  local: () => Promise<T>,
  onError: (error: unknown) => void,
): Promise<T> {
  if (link.online) {
    try {
      return await remote();
    } catch (error) {
      if (error instanceof RedisReplyError) onError(error);
    }
  }
  return local();
}

/** Writes waiting for Redis, by what they write: a later write to the same thing replaces the earlier. */
export class ReplayQueue {
  readonly #link: RedisLink;
  readonly #onError: (error: unknown) => void;
  readonly #writes = new Map<string, () => Promise<unknown>>();

  constructor(link: RedisLink, onError: (error: unknown) => void) {
    this.#link = link;
    this.#onError = onError;
  }

  /** Sends now when online; queues when offline or when Redis turns out unreachable. */
  async write(key: string, send: () => Promise<unknown>): Promise<void> {
    this.#writes.delete(key);
    if (this.#link.online) {
      try {
        await send();
        return;
      } catch (error) {
        if (isServerError(error)) return this.#reportServerError(error);
      }
    }
    this.queue(key, send);
  }

  queue(key: string, send: () => Promise<unknown>): void {
    this.#writes.delete(key);
    if (this.#writes.size >= MAX_REPLAY) {
      const oldest = this.#writes.keys().next().value;
      if (oldest !== undefined) this.#writes.delete(oldest);
    }
    this.#writes.set(key, send);
  }

  /** Drops a queued write that a newer state (someone else's write) made obsolete. */
  forget(key: string): void {
    this.#writes.delete(key);
  }

  /**
   * Sends every queued write. Rejects when Redis is unreachable (the writes stay queued); a write
   * Redis refuses is reported and dropped. Writes queued meanwhile wait for the next flush.
   */
  async flush(): Promise<void> {
    const pending = [...this.#writes];
    await Promise.all(
      pending.map(([, send]) =>
        send().catch((error: unknown) => {
          if (!isServerError(error)) throw error;
          this.#reportServerError(error);
        }),
      ),
    );
    for (const [key, send] of pending) if (this.#writes.get(key) === send) this.#writes.delete(key);
  }

  #reportServerError(error: unknown): void {
    // The link reported Redis's own error replies already.
    if (error instanceof RedisReplyError) this.#onError(error);
  }
}
