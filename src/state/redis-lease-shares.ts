/**
 * How many leases of a capped backend this replica may hold while Redis cannot count for it.
 *
 * Why a share and not the whole cap: when Redis goes away, every replica falls back to its own
 * count, and with the whole cap each could fill it, so two replicas would run a backend capped
 * at N at 2N. But the leases the replicas held when Redis went away were counted there, so
 * together they are at most N: if each keeps to the number it held then (its share), the sum
 * stays within the cap, and each can still replace its own finished requests.
 *
 * Why the share outlives the outage by a settling time: after Redis comes back (empty after a
 * restart, or with a stale snapshot), each replica puts its leases back when it reconnects, and
 * the replicas reconnect at different moments. Until the slowest has, Redis counts too few, so
 * each replica keeps to its share as well as to Redis's count for `settleMs`.
 *
 * Why the share lapses after a lease's life: over a long outage availability wins, and by then
 * the picture Redis had is gone anyway (unrenewed leases would have expired), so each replica goes
 * back to the whole cap, counting its own leases only. A store that never reached Redis has no
 * share to keep and uses the whole cap from the start; so does one that was the only replica
 * (the only store subscribed to the event channel) when it last asked.
 * @module
 */
import type { Clock } from "./store.js";

/** A lease as the shares see it. */
export interface HeldLease {
  readonly backendId: string;
  readonly expiresAt: number;
}

export class LeaseShares {
  readonly #now: Clock;
  readonly #settleMs: number;
  /** Leases held per backend when the outage began; undefined outside an outage and its settling. */
  #shares: Map<string, number> | undefined;
  #offlineSince = 0;
  /** While online: when Redis's count alone decides again. */
  #settleUntil = 0;
  #online = false;

  constructor(now: Clock, settleMs: number) {
    this.#now = now;
    this.#settleMs = settleMs;
  }

  /** Redis answers again (the store has put its leases back). */
  online(): void {
    this.#online = true;
    this.#settleUntil = this.#now() + this.#settleMs;
  }

  /**
   * Redis went away: takes this replica's share of each backend from the leases Redis may still
   * count for it (those it holds, and released ones whose removal was never confirmed). Only
   * after being online: a store that never reached Redis has no share to keep.
   */
  offline(held: Iterable<HeldLease>, alone = false): void {
    if (!this.#online) return;
    this.#online = false;
    this.#offlineSince = this.#now();
    if (alone) {
      this.#shares = undefined;
      return;
    }
    // Still settling from the last outage: what is held now is within the share taken then.
    if (this.#shares) return;
    const now = this.#offlineSince;
    const shares = new Map<string, number>();
    for (const lease of held) {
      if (lease.expiresAt > now) shares.set(lease.backendId, (shares.get(lease.backendId) ?? 0) + 1);
    }
    this.#shares = shares;
  }

  /**
   * The most leases of `backendId` this replica may hold now besides what Redis allows, or
   * undefined for no bound of its own (no cap, no outage, or the share lapsed).
   */
  limit(backendId: string, max: number, ttlMs: number): number | undefined {
    if (max <= 0 || !this.#shares) return undefined;
    const now = this.#now();
    const lapsed = this.#online ? now >= this.#settleUntil : now - this.#offlineSince >= ttlMs;
    if (lapsed) {
      this.#shares = undefined;
      return undefined;
    }
    return Math.min(max, this.#shares.get(backendId) ?? 0);
  }
}
