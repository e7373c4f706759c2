/**
 * Leases of the Redis store. A lease is one member of the backend's sorted set (score = expiry
 * on the Redis clock), taken by one script that drops expired members, checks the cap and adds:
 * one round trip, atomic across replicas. Every lease also holds a slot in the local view, so
 * during an outage the cap is enforced against all the leases this replica holds.
 * @module
 */
import { leaseIdSource } from "./lease-id.js";
import type { MemoryStore } from "./memory.js";
import { attempt, type ReplayQueue } from "./redis-fallback.js";
import type { RedisKeys } from "./redis-keys.js";
import { RedisLease, type RedisLeaseOwner } from "./redis-lease.js";
import { type RedisLink, RedisReplyError } from "./redis-link.js";
import { integer } from "./redis-replies.js";
import { ACQUIRE, ADOPT, INFLIGHT, RENEW } from "./redis-scripts.js";
import type { Clock, Lease } from "./store.js";

/** Held leases kept before expired ones (taken and never released: a caller's bug) are swept. */
const FIRST_HELD_SWEEP = 1_024;

export interface RedisLeasesOptions {
  link: RedisLink;
  keys: RedisKeys;
  local: MemoryStore;
  replay: ReplayQueue;
  onError: (error: unknown) => void;
  now: Clock;
}

export class RedisLeases implements RedisLeaseOwner {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #local: MemoryStore;
  readonly #replay: ReplayQueue;
  readonly #onError: (error: unknown) => void;
  readonly #now: Clock;
  readonly #nextId = leaseIdSource();
  /** Unreleased leases of this process: put back into Redis after every reconnection. */
  readonly #held = new Set<RedisLease>();
  #sweepAt = FIRST_HELD_SWEEP;

  constructor(options: RedisLeasesOptions) {
    this.#link = options.link;
    this.#keys = options.keys;
    this.#local = options.local;
    this.#replay = options.replay;
    this.#onError = options.onError;
    this.#now = options.now;
  }

  async acquire(backendId: string, max: number, ttlMs: number): Promise<Lease | undefined> {
    const id = this.#nextId();
    const remote = this.#link.online;
    if (remote) {
      try {
        const reply = await this.#link.script(
          ACQUIRE,
          [this.#keys.lease(backendId)],
          [id, String(max), String(ttlMs)],
        );
        const inflight = integer(reply);
        if (inflight === 0) return undefined;
        return this.#hold(backendId, id, inflight, ttlMs, this.#local.acquireNow(backendId, 0, ttlMs)!, true);
      } catch (error) {
        // Link errors were handled by the link; decide locally below.
        if (error instanceof RedisReplyError) this.#onError(error);
      }
    }
    const local = this.#local.acquireNow(backendId, max, ttlMs);
    // The id is shared: if a timed-out acquire lands in Redis later, adoption or release finds it.
    if (local) return this.#hold(backendId, id, local.inflight, ttlMs, local, false);
    if (remote) this.#queueRelease(backendId, id);
    return undefined;
  }

  inflight(backendId: string): Promise<number> {
    return attempt(
      this.#link,
      async () => integer(await this.#link.script(INFLIGHT, [this.#keys.lease(backendId)], [])),
      () => this.#local.inflight(backendId),
      this.#onError,
    );
  }

  async releaseRemote(lease: RedisLease): Promise<void> {
    this.#held.delete(lease);
    await this.#replay.write(`release:${lease.id}`, () => this.#zrem(lease.backendId, lease.id));
  }

  async renewRemote(lease: RedisLease, ttlMs: number): Promise<boolean> {
    const alive = await lease.local.renew(ttlMs);
    const renewed = await attempt(
      this.#link,
      async () => {
        // A lease taken during an outage is not in Redis yet: renewing it means putting it there.
        if (!lease.inRedis && !alive) return false;
        const script = lease.inRedis ? RENEW : ADOPT;
        const reply = await this.#link.script(
          script,
          [this.#keys.lease(lease.backendId)],
          [lease.id, String(ttlMs)],
        );
        lease.inRedis = true;
        return reply === 1;
      },
      () => Promise.resolve(alive),
      this.#onError,
    );
    if (renewed) lease.expiresAt = this.#now() + ttlMs;
    return renewed;
  }

  /**
   * Puts every unexpired lease this process holds back into Redis, with its remaining time:
   * after a restart Redis has none of them, and leases taken during the outage were never there.
   */
  async adoptAll(): Promise<void> {
    const now = this.#now();
    const adoptions: Promise<void>[] = [];
    for (const lease of this.#held) {
      if (lease.expiresAt <= now) {
        this.#held.delete(lease);
        continue;
      }
      const remaining = String(lease.expiresAt - now);
      adoptions.push(
        this.#link.script(ADOPT, [this.#keys.lease(lease.backendId)], [lease.id, remaining]).then(() => {
          lease.inRedis = true;
        }),
      );
    }
    await Promise.all(adoptions);
  }

  #hold(
    backendId: string,
    id: string,
    inflight: number,
    ttlMs: number,
    local: Lease,
    inRedis: boolean,
  ): RedisLease {
    const now = this.#now();
    const lease = new RedisLease(this, backendId, id, inflight, ttlMs, now + ttlMs, local, inRedis);
    if (this.#held.size >= this.#sweepAt) {
      for (const held of this.#held) if (held.expiresAt <= now) this.#held.delete(held);
      this.#sweepAt = Math.max(FIRST_HELD_SWEEP, this.#held.size * 2);
    }
    this.#held.add(lease);
    return lease;
  }

  #queueRelease(backendId: string, id: string): void {
    this.#replay.queue(`release:${id}`, () => this.#zrem(backendId, id));
  }

  #zrem(backendId: string, id: string): Promise<unknown> {
    return this.#link.command(["ZREM", this.#keys.lease(backendId), id]);
  }
}
