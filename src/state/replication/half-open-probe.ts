/**
 * The half-open probe across replicas: when a backend's circuit turns half-open, exactly one
 * request in the whole fleet tests it. The local breaker reserves the probe first, synchronously,
 * so this replica's own concurrent requests pass the backend by meanwhile; with shared state the
 * store then decides between replicas (`tryProbe`). That round trip is paid only by a request that
 * picked a half-open backend, never on the happy path. Without shared state (one process) the
 * local reservation alone decides.
 * @module
 */
import type { StateStore } from "../store.js";
import type { ReplicatedCircuit, ReplicationLog } from "./replication.js";

/**
 * Longest wait for the store's answer. The store itself never hangs (it falls back to its local
 * view after its own command timeout); this bound only keeps a request from waiting on a store
 * that broke that promise.
 */
const PROBE_DEADLINE_MS = 1_000;

/**
 * The local half: true when the circuit is closed or this request took the probe, false when it is
 * open or this replica's probe is already out.
 */
export function reserveProbeLocally(circuit: ReplicatedCircuit): boolean {
  if (circuit.state === "closed") return true;
  if (!circuit.canAttempt()) return false;
  circuit.onAttempt();
  return true;
}

/** The local reservation, then the store's decision between replicas. */
export async function claimProbeAcross(
  store: StateStore,
  backendId: string,
  circuit: ReplicatedCircuit,
  log: ReplicationLog,
): Promise<boolean> {
  if (circuit.state === "closed") return true;
  if (!reserveProbeLocally(circuit)) return false;
  const won = await answerWithin(store.tryProbe(backendId), PROBE_DEADLINE_MS);
  // A verdict from elsewhere may have closed or reopened the circuit while the store answered
  // (the compiler cannot know that a getter's value changes across an await).
  const state = circuit.state as ReplicatedCircuit["state"];
  if (state === "closed") return true;
  if (state === "open") {
    circuit.onAbandon();
    return false;
  }
  if (won === undefined) {
    // The store did not answer: decide locally, as the store's own degraded mode does.
    log.warn({ backend: backendId }, "the shared store did not answer the probe reservation");
    return true;
  }
  if (!won) circuit.probeHeldElsewhere();
  return won;
}

/** The promise's value, or undefined when it rejects or takes longer than `ms`. */
function answerWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
