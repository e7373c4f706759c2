/**
 * The `StateStore`: the one place where state that gateway replicas must agree on lives —
 * inflight leases, circuit and health marks, key cooldowns, registrations and rate-limit windows.
 * `memory.ts` is the single-process default; `redis.ts` shares the same state between replicas;
 * `ipc-client.ts` shares a `--workers` primary's store with its workers. All pass the shared
 * conformance suite in `test/state/conformance.ts`.
 *
 * Contract for every implementation:
 * - No method rejects and none hangs: a store that loses its backing service answers from a local
 *   view (and says so through {@link StateStore.status}) rather than failing a request.
 * - Times are epoch milliseconds. Durations (`ttlMs`, `openMs`, `windowMs`) are milliseconds.
 * - Calls that are started in the same tick may share one round trip (node-redis pipelines them),
 *   so a caller that needs two answers should start both before awaiting either.
 * @module
 */
import type { StateListener } from "./events.js";
import type { CircuitSnapshot, KeyState } from "./values.js";

/**
 * Epoch milliseconds, like `Date.now` (the default of every store). Each store takes one as its
 * `now` option so tests can move expiry, cooldowns and windows forward without sleeping.
 */
export type Clock = () => number;

export type { CircuitSnapshot, CircuitState, KeyState } from "./values.js";

/** The answer of {@link StateStore.addToWindow}. */
export interface WindowResult {
  /** Whether `amount` fitted under `limit`; a refused amount is not counted. */
  readonly allowed: boolean;
  /** What the window holds after this call. */
  readonly total: number;
  /** Milliseconds until this window ends and the count starts again from 0. */
  readonly resetMs: number;
}

/** `degraded`: the store is serving from a local view because its shared backend is unreachable. */
export type StoreStatus = "ok" | "degraded";

/**
 * One unit of a backend's inflight count, held from just before a request is sent until it ends.
 * Invariants: the holder calls `release` exactly once in a `finally` (further calls are no-ops);
 * a holder that dies without releasing stops counting after its TTL.
 */
export interface Lease {
  readonly backendId: string;
  /** Unique across replicas. */
  readonly id: string;
  /**
   * Unexpired leases on the backend right after this one was taken, this one included: a fresh
   * global count that load-aware strategies get for free (during a Redis outage, this replica's).
   */
  readonly inflight: number;
  /** Gives the slot back. Idempotent; never rejects. Safe to fire without awaiting. */
  release(): Promise<void>;
  /**
   * Pushes the expiry to now + `ttlMs` (default: the TTL it was taken with) for requests that
   * outlive it, such as long streams. Resolves false when the lease was already released or had
   * expired — its slot may belong to someone else by then, so it is not revived.
   */
  renew(ttlMs?: number): Promise<boolean>;
}

/**
 * Shared gateway state. See the module comment for the contract every method keeps.
 *
 * Hot path (per request): `acquire` is the only call the request waits on; `release`,
 * `recordSuccess`/`recordFailure` run after the response and need not be awaited. Circuit, health
 * and key states are meant to be mirrored in process from {@link StateStore.subscribe} events (plus
 * one read at start-up), not read per request.
 */
export interface StateStore {
  /** `memory` or `redis`: for `/health` and logs. */
  readonly kind: string;

  /**
   * Takes one inflight slot on `backendId`, or resolves undefined when `max > 0` and the backend
   * already holds `max` unexpired leases. `max = 0` means no cap (the lease still counts).
   * Atomic: any number of concurrent callers, on any number of replicas, never exceed `max`.
   */
  acquire(backendId: string, max: number, ttlMs: number): Promise<Lease | undefined>;
  /** Unexpired leases on `backendId`. */
  inflight(backendId: string): Promise<number>;

  /**
   * Counts one failure. `threshold` consecutive failures open a closed circuit for `openMs`
   * (`threshold = 0` disables opening); any failure while half-open opens it again for `openMs`;
   * a failure while open leaves `openedUntil` as it was.
   */
  recordFailure(backendId: string, threshold: number, openMs: number): Promise<CircuitSnapshot>;
  /**
   * Closes the circuit and zeroes its failure count (whatever state it was in). Cheap when there
   * is nothing to reset: the Redis store then answers from its local view, without a round trip.
   */
  recordSuccess(backendId: string): Promise<CircuitSnapshot>;
  circuit(backendId: string): Promise<CircuitSnapshot>;
  /**
   * Reserves the single probe request of the current half-open period: true for exactly one
   * caller across all replicas, false for everyone else and whenever the circuit is not half-open.
   * A reservation whose holder never reports back lapses after the circuit's `openMs`, so a
   * crashed prober does not keep the circuit shut forever.
   */
  tryProbe(backendId: string): Promise<boolean>;

  setHealth(backendId: string, healthy: boolean): Promise<void>;
  /** The last mark, or undefined when the backend was never marked. */
  health(backendId: string): Promise<boolean | undefined>;

  /** Cools a key down until `untilMs`. A cooldown is only ever extended, never shortened. */
  coolDownKey(fingerprint: string, untilMs: number): Promise<void>;
  /** Takes a key out of rotation for good (it stays out until the store's data is cleared). */
  disableKey(fingerprint: string, reason: string): Promise<void>;
  /** One entry per requested fingerprint; unknown keys read as usable. */
  keyStates(fingerprints: readonly string[]): Promise<Map<string, KeyState>>;

  /**
   * Adds `amount` to `key`'s current fixed window of `windowMs` (windows are aligned to the epoch,
   * so every replica agrees where one ends) unless that would pass `limit` (`limit = 0`: no
   * limit). Atomic across replicas. Fixed windows let a burst of up to 2 × `limit` straddle a
   * boundary; that is the accepted price of one counter per key.
   */
  addToWindow(key: string, windowMs: number, amount: number, limit: number): Promise<WindowResult>;

  /** Stores a runtime registration (any JSON value; it is copied as JSON) and announces it. */
  putRegistration(id: string, record: unknown): Promise<void>;
  deleteRegistration(id: string): Promise<void>;
  /** Every registration, as of now. A fresh map the caller may keep. */
  registrations(): Promise<Map<string, unknown>>;

  /**
   * Calls `listener` for every change, made here or on another replica: registrations, circuit
   * changes, health changes and key states. Each event carries the whole new value, so one that
   * arrives twice (possible around a reconnection) is harmless. Other replicas' changes made
   * while this store is degraded are not heard; on reconnection registrations and health marks
   * are reloaded and the differences announced, while circuits and key states catch up with
   * their next change or read. Returns the unsubscribe function.
   */
  subscribe(listener: StateListener): () => void;

  /** Synchronous and cheap: safe to call on every `/health` request. */
  status(): StoreStatus;
  /** Stops timers and connections. Calls after `close` still resolve, from the local view. */
  close(): Promise<void>;
}
