/**
 * A lease of the IPC store. It always holds a slot in the worker's local view too, so that while
 * the primary does not answer, caps still count every lease this worker holds.
 * @module
 */
import type { Lease } from "./store.js";

/** What a lease needs from its store; the store implements it with its private methods. */
export interface IpcLeaseOwner {
  releaseRemote(lease: IpcLease): void;
  renewRemote(lease: IpcLease, ttlMs: number): Promise<boolean>;
}

export class IpcLease implements Lease {
  readonly backendId: string;
  readonly id: string;
  readonly inflight: number;
  readonly ttlMs: number;
  /** The slot in the local view. */
  readonly local: Lease;
  /** Whether the primary holds it (false: taken from the local view while the primary was silent). */
  readonly remote: boolean;
  readonly #owner: IpcLeaseOwner;
  #released = false;

  constructor(
    owner: IpcLeaseOwner,
    backendId: string,
    id: string,
    inflight: number,
    ttlMs: number,
    local: Lease,
    remote: boolean,
  ) {
    this.#owner = owner;
    this.backendId = backendId;
    this.id = id;
    this.inflight = inflight;
    this.ttlMs = ttlMs;
    this.local = local;
    this.remote = remote;
  }

  release(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#released = true;
    void this.local.release();
    if (this.remote) this.#owner.releaseRemote(this);
    return Promise.resolve();
  }

  renew(ttlMs = this.ttlMs): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    return this.#owner.renewRemote(this, ttlMs);
  }
}
