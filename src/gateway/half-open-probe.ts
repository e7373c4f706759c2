/**
 * The half-open probe across replicas: when a backend's circuit turns half-open, exactly one
 * request in the whole fleet tests it. The local breaker reserves the probe first, synchronously,
 * so this replica's own concurrent requests pass the backend by meanwhile; with shared state the
 * store then decides between replicas (`tryProbe`). That round trip is paid only by a request that
 * picked a half-open backend, never on the happy path. Without shared state (the memory store, one
 * process) the local reservation alone decides, as it always has.
 * @module
 */
import type { BackendState } from "../routing/backend.js";
import type { CircuitState } from "../routing/circuit.js";
import type { GatewayContext } from "./context.js";

/**
 * Longest wait for the store's answer. The store itself never hangs (it falls back to its local
 * view after its own command timeout); this bound only keeps a request from waiting on a store
 * that broke that promise.
 */
const PROBE_DEADLINE_MS = 1_000;

/**
 * Call right after a strategy picked `backend`, before anything is sent. True: go ahead (the
 * circuit is closed, or this request is the probe). False: another request (here or on another
 * replica) is the probe, so this one must pick another backend.
 */
export async function claimProbe(ctx: GatewayContext, backend: BackendState): Promise<boolean> {
  const circuit = backend.circuit;
  if (circuit.state === "closed") return true;
  // Open, or half-open with this replica's probe already out.
  if (!circuit.canAttempt()) return false;
  circuit.onAttempt();
  if (!ctx.sharedState) return true;
  const won = await answerWithin(ctx.state.tryProbe(backend.id), PROBE_DEADLINE_MS);
  // A verdict from elsewhere may have closed or reopened the circuit while the store answered
  // (the compiler cannot know that a getter's value changes across an await).
  const state = circuit.state as CircuitState;
  if (state === "closed") return true;
  if (state === "open") {
    circuit.onAbandon();
    return false;
  }
  if (won === undefined) {
    // The store did not answer: decide locally, as the store's own degraded mode does.
    ctx.logger.warn({ backend: backend.id }, "the shared store did not answer the probe reservation");
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
