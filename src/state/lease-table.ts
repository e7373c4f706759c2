/**
 * Inflight leases of one process, per backend, with expiry: the memory store's lease state and
 * the Redis store's local view of its own leases. Expired entries are dropped lazily, when a cap
 * decision needs an exact count or the table has grown, so a hot acquire stays O(1) amortised.
 * @module
 */

const FIRST_SWEEP_AT = 64;

class BackendLeases {
  readonly expiries = new Map<string, number>();
  sweepAt = FIRST_SWEEP_AT;

  sweep(now: number): void {
    for (const [id, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(id);
    this.sweepAt = Math.max(FIRST_SWEEP_AT, this.expiries.size * 2);
  }
}

export class LeaseTable {
  readonly #backends = new Map<string, BackendLeases>();

  /**
   * Adds lease `id` unless `max > 0` and `max` unexpired leases are held already. Returns the
   * backend's lease count with the new one, or 0 when refused.
   */
  take(backendId: string, id: string, max: number, ttlMs: number, now: number): number {
    let leases = this.#backends.get(backendId);
    if (!leases) {
      leases = new BackendLeases();
      this.#backends.set(backendId, leases);
    }
    const size = leases.expiries.size;
    if ((max > 0 && size >= max) || size >= leases.sweepAt) leases.sweep(now);
    if (max > 0 && leases.expiries.size >= max) return 0;
    leases.expiries.set(id, now + ttlMs);
    return leases.expiries.size;
  }

  /** Extends an unexpired lease; false when it is gone or expired (an expired one is dropped). */
  renew(backendId: string, id: string, ttlMs: number, now: number): boolean {
    const leases = this.#backends.get(backendId);
    const expiresAt = leases?.expiries.get(id);
    if (!leases || expiresAt === undefined) return false;
    if (expiresAt <= now) {
      leases.expiries.delete(id);
      return false;
    }
    leases.expiries.set(id, now + ttlMs);
    return true;
  }

  drop(backendId: string, id: string): void {
    this.#backends.get(backendId)?.expiries.delete(id);
  }

  count(backendId: string, now: number): number {
    const leases = this.#backends.get(backendId);
    if (!leases) return 0;
    leases.sweep(now);
    return leases.expiries.size;
  }
}
