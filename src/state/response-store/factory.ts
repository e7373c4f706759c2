/**
 * Picks the response store the gateway's settings call for, so that any process that may receive
 * a chain's next request can continue it: Redis when replicas share state through Redis (`redis`
 * set); in a `--workers` worker without Redis, the store its primary hosts
 * (`hostResponsesForWorkers`); memory otherwise.
 *
 * The settings are named as in the gateway's config (config/schema.ts) but declared here, so a
 * `GatewayConfig` fits without `state` importing `config` (state is a leaf layer).
 * @module
 */
import type { Clock } from "../store.js";
import { IpcResponseStore, primaryResponsesPort } from "./ipc-client.js";
import { MemoryResponseStore } from "./memory.js";
import type { ResponseStore, ResponseStoreLimits } from "./response-store.js";

export interface ResponseStoreSettings {
  readonly redis?: string | undefined;
  readonly redis_namespace?: string | undefined;
  readonly response_store_max_entries: number;
  readonly response_store_max_bytes: number;
  readonly response_store_max_entry_bytes: number;
  /** Seconds. */
  readonly response_store_ttl: number;
}

export interface ResponseStoreOptions {
  /** For tests: drives expiry (and, with Redis, the scripts' clock) instead of the real time. */
  now?: Clock;
  /** A lost Redis connection (once per outage) and replies of the wrong shape. */
  onError?: (error: unknown) => void;
  /** How long to wait for Redis's first answer before returning a store still connecting. */
  connectWaitMs?: number;
}

export function responseStoreLimits(settings: ResponseStoreSettings): ResponseStoreLimits {
  return {
    maxEntries: settings.response_store_max_entries,
    maxBytes: settings.response_store_max_bytes,
    maxEntryBytes: settings.response_store_max_entry_bytes,
    ttlMs: Math.round(settings.response_store_ttl * 1000),
  };
}

/**
 * The store for these settings; the caller closes it on shutdown. With Redis it opens its own
 * connection (the state store's are private to it) and resolves once connected, or after
 * `connectWaitMs` while it keeps connecting: call it from the gateway's start, next to joining
 * replication.
 */
export async function createResponseStore(
  settings: ResponseStoreSettings,
  options: ResponseStoreOptions = {},
): Promise<ResponseStore> {
  const limits = responseStoreLimits(settings);
  const now = options.now ? { now: options.now } : {};
  if (!settings.redis) {
    const port = primaryResponsesPort();
    return port ? new IpcResponseStore({ port }) : new MemoryResponseStore({ ...limits, ...now });
  }
  // Loaded only with Redis, so a gateway without it never loads node-redis.
  const { RedisResponseStore } = await import("./redis.js");
  return RedisResponseStore.connect({
    ...limits,
    ...now,
    url: settings.redis,
    ...(settings.redis_namespace ? { namespace: settings.redis_namespace } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.connectWaitMs === undefined ? {} : { connectWaitMs: options.connectWaitMs }),
  });
}
