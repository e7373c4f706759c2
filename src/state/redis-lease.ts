/**
 * A lease of the Redis store. It always holds a slot in the store's local lease table too (the
 * local view counts every lease this process holds, wherever it was taken), and remembers its
 * expiry on the local clock so the store can put it back into Redis after an outage.
 * @module
 */
import type { Lease } from "./store.js";

/** What a lease needs from its store; the store implements it with its private methods. */
export interface RedisLeaseOwner {
  releaseRemote(lease: RedisLease): Promise<void>;
  renewRemote(lease: RedisLease, ttlMs: number): Promise<boolean>;
}

export class RedisLease implements Lease {
  readonly backendId: string;
  readonly id: string;
  readonly inflight: number;
  readonly ttlMs: number;
  /** The slot in the local view. */
  readonly local: Lease;
  /** Expiry on this process's clock, kept current by renewals. */
  expiresAt: number;
  /** Whether Redis is known to hold it (false: taken during an outage, not yet put back). */
  inRedis: boolean;
  readonly #owner: RedisLeaseOwner;
  #released = false;

  constructor(
    owner: RedisLeaseOwner,
    backendId: string,
    id: string,
    inflight: number,
    ttlMs: number,
    expiresAt: number,
    local: Lease,
    inRedis: boolean,
  ) {
    this.#owner = owner;
    this.backendId = backendId;
    this.id = id;
    this.inflight = inflight;
    this.ttlMs = ttlMs;
    this.local = local;
    this.inRedis = inRedis;
    this.expiresAt = expiresAt;
  }

  get released(): boolean {
    return this.#released;
  }

  release(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#released = true;
    void this.local.release();
    return this.#owner.releaseRemote(this);
  }

  renew(ttlMs = this.ttlMs): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    return this.#owner.renewRemote(this, ttlMs);
  }
}
