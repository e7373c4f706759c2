/**
 * How the Redis-backed stores (budgets, runtime keys, responses) start: connect in the background
 * and wait for the first `ready`, but never longer than `waitMs`, so a gateway whose Redis is away
 * at start still starts (the stores fall back or refuse while node-redis keeps reconnecting).
 * @module
 */

import type { EventEmitter } from "node:events";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

/** What every Redis-backed store is started with; each store names its own deadline and errors. */
export interface RedisStoreConnection {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Inserted after `switchyard:` in every key, as for the state store (redis-keys.ts). */
  namespace?: string;
  /** How long the store's `connect` waits for the first connection (default 2000). */
  connectWaitMs?: number;
}

interface Connectable extends EventEmitter {
  connect(): Promise<unknown>;
}

/** Resolves once `client` is ready (after `onReady`, if given) or `waitMs` has passed. */
export async function awaitFirstConnection(
  client: Connectable,
  waitMs: number,
  onReady?: () => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  client.connect().catch(() => {}); // failures reach the client's 'error' listener
  const ready = once(client, "ready", { signal: controller.signal }).then(() => onReady?.());
  await Promise.race([
    ready.catch(() => {}),
    sleep(waitMs, undefined, { signal: controller.signal }).catch(() => {}),
  ]);
  controller.abort();
}
