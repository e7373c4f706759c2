/**
 * Leases of the Redis store. A lease is one member of the backend's sorted set (score = expiry
 * on the Redis clock), taken by one script that drops expired members, checks the cap and adds:
 * one round trip, atomic across replicas. Every lease also holds a slot in the local view, so
 * during an outage the cap is enforced against all the leases this replica holds, within the
 * share of it this replica held when Redis went away (redis-lease-shares.ts).
 *
 * After every reconnection this replica rewrites its part of each lease set it used
 * ({@link RedisLeases.reassertAll}): the leases of its requests still running go back in, with
 * their remaining time, and any other lease with its id prefix goes, so a restart (empty, or from
 * a stale snapshot) neither forgets running requests nor keeps finished ones.
 * @module
 */
import { leaseIdSource } from "./lease-id.js";
import type { MemoryStore } from "./memory.js";
import { attempt, type ReplayQueue } from "./redis-fallback.js";
import type { RedisKeys } from "./redis-keys.js";
import { RedisLease, type RedisLeaseOwner } from "./redis-lease.js";
import { LeaseShares } from "./redis-lease-shares.js";
import { type RedisLink, RedisReplyError } from "./redis-link.js";
import { integer } from "./redis-replies.js";
import { ACQUIRE, ADOPT, INFLIGHT, REASSERT, RENEW } from "./redis-scripts.js";
import type { Clock, Lease } from "./store.js";

/** Held leases kept before expired ones (taken and never released: a caller's bug) are swept. */
const FIRST_HELD_SWEEP = 1_024;

/** How often (at most) an acquire also asks Redis how many replicas share it (see #countDue). */
const COUNT_REPLICAS_EVERY_MS = 1_000;

export interface RedisLeasesOptions {
  link: RedisLink;
  keys: RedisKeys;
  local: MemoryStore;
  replay: ReplayQueue;
  onError: (error: unknown) => void;
  now: Clock;
  /** How long after a reconnection this replica still keeps to its outage share (see redis-lease-shares.ts). */
  settleMs: number;
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
  /**
   * Released leases whose removal Redis has not confirmed: for all this process knows Redis still
   * counts them, so they are part of its share if Redis goes away now (a server that stops
   * answering lets requests finish before the link gives up on it).
   */
  readonly #releasing = new Set<RedisLease>();
  /** Backends this process took leases of since the last reassertion: where stale ones may be. */
  readonly #used = new Set<string>();
  readonly #shares: LeaseShares;
  /** Stores subscribed to the event channel when last asked, this one included: the replicas. */
  #replicas = 0;
  #countedAt = Number.NEGATIVE_INFINITY;
  #sweepAt = FIRST_HELD_SWEEP;

  constructor(options: RedisLeasesOptions) {
    this.#link = options.link;
    this.#keys = options.keys;
    this.#local = options.local;
    this.#replay = options.replay;
    this.#onError = options.onError;
    this.#now = options.now;
    this.#shares = new LeaseShares(options.now, options.settleMs);
  }

  /**
   * Follows the link: a share is taken when it goes offline and kept until it has settled. A
   * replica that was the only one has nobody to share with and keeps the whole cap.
   */
  linkStatus(online: boolean): void {
    if (online) this.#shares.online();
    else this.#shares.offline([...this.#held, ...this.#releasing], this.#replicas === 1);
  }

  async acquire(backendId: string, max: number, ttlMs: number): Promise<Lease | undefined> {
    const share = this.#shares.limit(backendId, max, ttlMs);
    if (share === 0) return undefined;
    const id = this.#nextId();
    const remote = this.#link.online;
    if (remote) {
      // The local slot first, so a share is checked and taken in one step; Redis's count then decides.
      const slot = this.#local.acquireNow(backendId, share ?? 0, ttlMs);
      if (!slot) return undefined;
      try {
        // Sent in the same tick, so in the same round trip as the acquire; its failure is the link's.
        const counting = this.#countDue() ? this.#countReplicas().catch(() => {}) : undefined;
        const reply = await this.#link.script(
          ACQUIRE,
          [this.#keys.lease(backendId)],
          [id, String(max), String(ttlMs)],
        );
        await counting;
        const inflight = integer(reply);
        if (inflight > 0) return this.#hold(backendId, id, inflight, ttlMs, slot, true);
        void slot.release();
        return undefined;
      } catch (error) {
        void slot.release();
        // Link errors were handled by the link; decide locally below.
        if (error instanceof RedisReplyError) this.#onError(error);
      }
    }
    // The link may have gone offline during this call, taking a share only now.
    const limit = this.#localMax(backendId, max, ttlMs);
    const local = limit === 0 && max > 0 ? undefined : this.#local.acquireNow(backendId, limit, ttlMs);
    // The id is shared: if a timed-out acquire lands in Redis later, reassertion or release finds it.
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
    this.#releasing.add(lease);
    await this.#replay.write(`release:${lease.id}`, async () => {
      await this.#zrem(lease.backendId, lease.id);
      this.#releasing.delete(lease);
    });
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
   * Rewrites this process's part of every lease set it used: its unexpired leases go back with
   * their remaining time (after a restart Redis has none of them, and leases taken during the
   * outage were never there), and its other leases still in Redis are dropped (see REASSERT).
   */
  async reassertAll(): Promise<void> {
    const now = this.#now();
    const live = new Map<string, RedisLease[]>();
    for (const lease of this.#held) {
      if (lease.expiresAt <= now) {
        this.#held.delete(lease);
        continue;
      }
      live.set(lease.backendId, [...(live.get(lease.backendId) ?? []), lease]);
    }
    const backends = [...new Set([...this.#used, ...live.keys()])];
    // Forgotten before the round trip, so a lease taken meanwhile marks its backend used again.
    for (const backendId of backends) if (!live.has(backendId)) this.#used.delete(backendId);
    await Promise.all([
      this.#countReplicas(),
      ...backends.map(async (backendId) => {
        const leases = live.get(backendId) ?? [];
        const args = leases.flatMap((lease) => [lease.id, String(lease.expiresAt - now)]);
        try {
          await this.#link.script(REASSERT, [this.#keys.lease(backendId)], [this.#nextId.prefix, ...args]);
        } catch (error) {
          this.#used.add(backendId);
          throw error;
        }
        for (const lease of leases) lease.inRedis = true;
      }),
    ]);
  }

  /**
   * Whether this acquire also counts the replicas: at most once a second, but every time while
   * this one believes it is alone, since that belief lifts its share in an outage and a replica
   * that joined since would go unseen.
   */
  #countDue(): boolean {
    return this.#replicas <= 1 || this.#now() - this.#countedAt >= COUNT_REPLICAS_EVERY_MS;
  }

  async #countReplicas(): Promise<void> {
    this.#countedAt = this.#now();
    const reply = await this.#link.command<unknown>(["PUBSUB", "NUMSUB", this.#keys.channel]);
    const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    if (Number.isInteger(count) && count > 0) this.#replicas = count;
  }

  /**
   * Puts into Redis the leases taken between the reassertion and the link going online (taken
   * locally, as during the outage), so the global count has them before their first renewal.
   */
  async adoptMissing(): Promise<void> {
    const now = this.#now();
    const adoptions: Promise<unknown>[] = [];
    for (const lease of this.#held) {
      if (lease.inRedis || lease.expiresAt <= now) continue;
      const remaining = String(lease.expiresAt - now);
      adoptions.push(
        this.#link.script(ADOPT, [this.#keys.lease(lease.backendId)], [lease.id, remaining]).then(() => {
          // Released meanwhile: its release may have reached Redis first.
          if (lease.released) return this.#zrem(lease.backendId, lease.id);
          lease.inRedis = true;
        }),
      );
    }
    await Promise.all(adoptions);
  }

  /** The cap this replica applies on its own: the backend's, within its share while it has one. */
  #localMax(backendId: string, max: number, ttlMs: number): number {
    const share = this.#shares.limit(backendId, max, ttlMs);
    return share === undefined ? max : share;
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
    if (this.#held.size + this.#releasing.size >= this.#sweepAt) {
      // Expired ones no longer count in Redis either; a release the replay queue dropped ends here.
      for (const set of [this.#held, this.#releasing]) {
        for (const held of set) if (held.expiresAt <= now) set.delete(held);
      }
      this.#sweepAt = Math.max(FIRST_HELD_SWEEP, (this.#held.size + this.#releasing.size) * 2);
    }
    this.#held.add(lease);
    this.#used.add(backendId);
    return lease;
  }

  #queueRelease(backendId: string, id: string): void {
    this.#replay.queue(`release:${id}`, () => this.#zrem(backendId, id));
  }

  #zrem(backendId: string, id: string): Promise<unknown> {
    return this.#link.command(["ZREM", this.#keys.lease(backendId), id]);
  }
}
