/**
 * Upstream key cooldowns and disabled keys shared between replicas. A pool's own decisions (a 429,
 * a spent rate limit, a 401/403) go to the store without being awaited; the store's `key` events
 * are adopted by every pool holding that key, so the key is skipped everywhere; and a pool that
 * joins (at start, when a backend with keys is added, after a reconnection) reads its keys' states
 * once. Keys are named by their store fingerprint, never by value, and picking a key for a request
 * never waits on the store.
 * @module
 */
import type { KeyState, StateStore } from "../store.js";
import type { LocalView, ReplicatedKeyPool, ReplicationLog } from "./replication.js";

/** Connects every key pool, present and future, to `store`. Returns the disconnect function. */
export function shareKeyPools(view: LocalView, store: StateStore, log: ReplicationLog): () => void {
  const onError = warnWith(log, "key state not shared");
  view.watchKeyPools((pool) => {
    pool.onDecision = (fingerprint, state) => {
      const written =
        state.disabledReason !== undefined
          ? store.disableKey(fingerprint, state.disabledReason)
          : store.coolDownKey(fingerprint, state.coolingDownUntil);
      written.catch(onError);
    };
    loadKeyStates(store, [pool]).catch(onError);
  });
  return () => {
    view.watchKeyPools(undefined);
    for (const pool of view.keyPools()) pool.onDecision = undefined;
  };
}

/** Reads the states of every key in use once (after a reconnection: what was missed meanwhile). Never rejects. */
export async function reloadKeyStates(
  view: LocalView,
  store: StateStore,
  log: ReplicationLog,
): Promise<void> {
  await loadKeyStates(store, view.keyPools()).catch(warnWith(log, "key states not reloaded"));
}

/** A key state announced by the store (decided here or elsewhere): every pool with the key adopts it. */
export function adoptKeyState(view: LocalView, fingerprint: string, state: KeyState): void {
  for (const pool of view.keyPools()) pool.adopt(fingerprint, state);
}

async function loadKeyStates(store: StateStore, pools: readonly ReplicatedKeyPool[]): Promise<void> {
  const fingerprints = [...new Set(pools.flatMap((pool) => pool.storeFingerprints()))];
  if (fingerprints.length === 0) return;
  const states = await store.keyStates(fingerprints);
  for (const pool of pools) for (const [fingerprint, state] of states) pool.adopt(fingerprint, state);
}

/** Logs a failed store call as a warning: sharing key states is best effort, serving goes on. */
function warnWith(log: ReplicationLog, message: string): (error: unknown) => void {
  return (error) => log.warn({ err: error instanceof Error ? error.message : String(error) }, message);
}
