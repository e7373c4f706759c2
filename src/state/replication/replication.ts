/**
 * The two layers of state, named. The hot path reads and changes a **local view** only: each
 * backend's breaker, health and inflight count, each key pool. **Replication** keeps that view in
 * line with the other replicas through a shared {@link StateStore}: it sends this replica's
 * decisions out (verdicts, key cooldowns, health marks, registrations) and applies the store's
 * events back to the view. The local circuit is the one owner of circuit state on the hot path;
 * the store holds its replica, which every replica mirrors into its own breaker.
 *
 * A single process has nothing to replicate: {@link LocalReplication} answers every call at once,
 * synchronously where the hot path asks, so a request without a shared store never waits on a
 * promise. `SharedReplication` (shared.ts) does the work for Redis and for `--workers`.
 *
 * This folder cannot see routing or the gateway, so the view is reached through the ports below,
 * which the gateway's objects satisfy (local-view.ts in the gateway builds the adapter).
 * @module
 */
import type { Lease } from "../store.js";
import type { CircuitState, KeyState } from "../values.js";

/** How an attempt ended for its backend. */
export type Verdict = "success" | "failure" | "abandoned";

/**
 * Where shared state lives, for `/health`: `memory` (this process only), `redis`, `ipc` (a
 * `--workers` worker sharing its primary's store), or `degraded` while the shared store is
 * unreachable.
 */
export type StateView = "memory" | "redis" | "ipc" | "degraded" | (string & {});

/** The part of a backend's local breaker that replication reads and sets (routing/circuit.ts). */
export interface ReplicatedCircuit {
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  canAttempt(): boolean;
  onAttempt(): void;
  onAbandon(): void;
  /** Another replica holds the half-open probe: stay shut as if the circuit had stayed open. */
  probeHeldElsewhere(): void;
  openUntil(untilMs: number): void;
  closeNow(): void;
}

/** The part of an upstream key pool that replication connects (upstream/key-pool.ts). */
export interface ReplicatedKeyPool {
  onDecision: ((storeFingerprint: string, state: KeyState) => void) | undefined;
  adopt(storeFingerprint: string, state: KeyState): boolean;
  storeFingerprints(): string[];
}

/** The local view as replication sees it; the gateway implements it over its registry. */
export interface LocalView {
  backendIds(): string[];
  circuitOf(backendId: string): ReplicatedCircuit | undefined;
  /** A registration made on any replica (this one's own comes back too), its keys opened. */
  register(id: string, record: unknown): void;
  /** A runtime registration removed on any replica. */
  unregister(id: string): void;
  /** Another replica saw the backend go down (the policy is in routing/health.ts). */
  adoptDownMark(backendId: string): void;
  /** Called with each health transition this replica's own probes decide; undefined stops. */
  onOwnHealth(listener: ((backendId: string, healthy: boolean) => void) | undefined): void;
  keyPools(): ReplicatedKeyPool[];
  /** Called with every key pool now and with each one added later; undefined stops. */
  watchKeyPools(watcher: ((pool: ReplicatedKeyPool) => void) | undefined): void;
}

/** Where replication reports what it could not do (a pino logger fits). */
export interface ReplicationLog {
  warn(detail: Record<string, unknown>, message: string): void;
  error(detail: Record<string, unknown>, message: string): void;
}

export type SealedRegistration = { ok: true; stored: unknown } | { ok: false; reason: string };

export interface Replication {
  /**
   * Takes a capped backend's lease across replicas, the one round trip a request may wait on.
   * `true`: nothing to take elsewhere (no cap, or nothing shared), synchronously. A promise of
   * undefined: the global cap is reached.
   */
  acquire(backendId: string, maxConnections: number, ttlMs: number): true | Promise<Lease | undefined>;
  /** Tells the other replicas an attempt's verdict, without waiting. */
  shareVerdict(backendId: string, verdict: Verdict, threshold: number, openMs: number): void;
  /**
   * Reserves the half-open probe of a backend whose circuit is not closed. False: another request,
   * here or elsewhere, is the probe. Synchronous unless a store must decide between replicas.
   */
  claimProbe(backendId: string, circuit: ReplicatedCircuit): boolean | Promise<boolean>;
  /** The record to store for a registration (api_keys sealed where it leaves the host), or why not. */
  sealRegistration(id: string, config: { api_keys: readonly string[] }): SealedRegistration;
  putRegistration(id: string, stored: unknown): Promise<void>;
  deleteRegistration(id: string): Promise<void>;
  view(): StateView;
  /** Stops applying events and sending decisions; the store is closed by its owner. */
  leave(): void;
}
