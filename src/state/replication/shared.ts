/**
 * Replication through a shared {@link StateStore} (Redis, or a `--workers` primary's store): this
 * replica's decisions go to the store, and the store's events come back into the local view.
 * Runtime registrations made on any replica are added to (or removed from) this one's registry,
 * their sealed api_keys opened with the state secret; a circuit opened or closed anywhere is
 * mirrored in the local breaker; upstream key cooldowns and disabled keys reach every key pool
 * (shared-keys.ts); health marks follow the policy in routing/health.ts (this replica publishes its
 * own changes and adopts the others' "down" marks). The hot path keeps reading only the local view.
 *
 * Circuit state has one owner on the hot path, the local breaker; the store holds the fleet's
 * replica of it. Verdicts go out as `recordSuccess`/`recordFailure`, and a snapshot coming back
 * opens or closes the local breaker. Failure counts below the threshold stay in the store.
 * @module
 */
import type { StateEvent } from "../events.js";
import type { CircuitSnapshot, Lease, StateStore } from "../store.js";
import { claimProbeAcross } from "./half-open-probe.js";
import type { RegistrationSecrets } from "./registration-secrets.js";
import type {
  LocalView,
  ReplicatedCircuit,
  Replication,
  ReplicationLog,
  SealedRegistration,
  StateView,
  Verdict,
} from "./replication.js";
import { adoptKeyState, reloadKeyStates, shareKeyPools } from "./shared-keys.js";

export interface SharedReplicationOptions {
  /** Seals registrations' api_keys where they leave the host, opens those stored elsewhere. */
  secrets: RegistrationSecrets;
  log: ReplicationLog;
}

export class SharedReplication implements Replication {
  readonly #store: StateStore;
  readonly #secrets: RegistrationSecrets;
  readonly #log: ReplicationLog;
  #view: LocalView | undefined;
  #leave: () => void = () => {};

  constructor(store: StateStore, options: SharedReplicationOptions) {
    this.#store = store;
    this.#secrets = options.secrets;
    this.#log = options.log;
  }

  acquire(backendId: string, maxConnections: number, ttlMs: number): true | Promise<Lease | undefined> {
    if (maxConnections <= 0) return true;
    return this.#store.acquire(backendId, maxConnections, ttlMs);
  }

  shareVerdict(backendId: string, verdict: Verdict, threshold: number, openMs: number): void {
    if (verdict === "success") void this.#store.recordSuccess(backendId);
    else if (verdict === "failure") void this.#store.recordFailure(backendId, threshold, openMs);
  }

  claimProbe(backendId: string, circuit: ReplicatedCircuit): boolean | Promise<boolean> {
    if (circuit.state === "closed") return true;
    return claimProbeAcross(this.#store, backendId, circuit, this.#log);
  }

  sealRegistration(id: string, config: { api_keys: readonly string[] }): SealedRegistration {
    return this.#secrets.toStored(id, config);
  }

  putRegistration(id: string, stored: unknown): Promise<void> {
    return this.#store.putRegistration(id, stored);
  }

  deleteRegistration(id: string): Promise<void> {
    return this.#store.deleteRegistration(id);
  }

  view(): StateView {
    return this.#store.status() === "degraded" ? "degraded" : this.#store.kind;
  }

  /**
   * Subscribes to the store's events, then loads every registration and the circuit of every
   * known backend. Subscribing first means nothing announced meanwhile is missed; applying a
   * change twice is harmless.
   */
  async join(view: LocalView): Promise<void> {
    const store = this.#store;
    this.#view = view;
    const unsubscribe = store.subscribe((event) => this.apply(event));
    view.onOwnHealth((backendId, healthy) => {
      store.setHealth(backendId, healthy).catch(() => {});
    });
    for (const [id, record] of await store.registrations()) this.#register(view, id, record);
    // After the registrations, so the pools of backends registered elsewhere read their states too.
    const stopSharingKeys = shareKeyPools(view, store, this.#log);
    await Promise.all(
      view.backendIds().map(async (id) => {
        mirrorCircuit(view, id, await store.circuit(id));
      }),
    );
    this.#leave = () => {
      unsubscribe();
      stopSharingKeys();
      view.onOwnHealth(undefined);
    };
  }

  /** After the store was unreachable: key states are not part of its resync, so read them again. */
  resync(): void {
    if (this.#view) void reloadKeyStates(this.#view, this.#store, this.#log);
  }

  leave(): void {
    this.#leave();
    this.#leave = () => {};
    this.#view = undefined;
  }

  /** Applies one store event to the local view. */
  apply(event: StateEvent): void {
    const view = this.#view;
    if (!view) return;
    switch (event.type) {
      case "put":
        this.#register(view, event.id, event.record);
        return;
      case "delete":
        view.unregister(event.id);
        return;
      case "circuit":
        mirrorCircuit(view, event.backendId, event.snapshot);
        return;
      case "health":
        // Only "down" is adopted (the policy is in routing/health.ts); this replica's own marks come
        // back here too and find the backend already in that state.
        if (!event.healthy) view.adoptDownMark(event.backendId);
        return;
      case "key":
        adoptKeyState(view, event.fingerprint, event.state);
        return;
    }
  }

  #register(view: LocalView, id: string, record: unknown): void {
    const opened = this.#secrets.fromStored(id, record);
    if (!opened.ok) {
      this.#log.error({ backend: id }, `ignored a shared registration: ${opened.reason}`);
      return;
    }
    view.register(id, opened.record);
  }
}

/**
 * An open circuit anywhere opens the local breaker until the same time; a reset (a success
 * anywhere) closes it. Failure counts below the threshold stay in the store.
 */
function mirrorCircuit(view: LocalView, id: string, snapshot: CircuitSnapshot): void {
  const circuit = view.circuitOf(id);
  if (!circuit) return;
  if (snapshot.openedUntil > Date.now()) circuit.openUntil(snapshot.openedUntil);
  else if (snapshot.openedUntil === 0 && snapshot.consecutiveFailures === 0) {
    if (circuit.state !== "closed" || circuit.consecutiveFailures > 0) circuit.closeNow();
  }
}
