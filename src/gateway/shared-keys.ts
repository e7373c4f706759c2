/**
 * Upstream key cooldowns and disabled keys shared between replicas. A pool's own decisions (a 429,
 * a spent rate limit, a 401/403) go to the store without being awaited; the store's `key` events
 * are adopted by every pool holding that key, so the key is skipped everywhere; and a pool that
 * joins (at start, when a backend with keys is added, after a reconnection) reads its keys' states
 * once. Keys are named by their store fingerprint, never by value, and picking a key for a request
 * never waits on the store.
 * @module
 */
import type { KeyState, StateStore } from "../state/store.js";
import type { KeyPool } from "../upstream/key-pool.js";
import type { GatewayContext } from "./context.js";

/** Connects every key pool, present and future, to `store`. Returns the disconnect function. */
export function shareKeyPools(ctx: GatewayContext, store: StateStore): () => void {
  const onError = warnWith(ctx, "key state not shared");
  ctx.registry.watchKeyPools((pool) => {
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
    ctx.registry.watchKeyPools(undefined);
    for (const { pool } of ctx.registry.keyPools()) pool.onDecision = undefined;
  };
}

/** Reads the states of every key in use once (after a reconnection: what was missed meanwhile). Never rejects. */
export async function reloadKeyStates(ctx: GatewayContext, store: StateStore): Promise<void> {
  await loadKeyStates(
    store,
    ctx.registry.keyPools().map(({ pool }) => pool),
  ).catch(warnWith(ctx, "key states not reloaded"));
}

/** A key state announced by the store (decided here or elsewhere): every pool with the key adopts it. */
export function adoptKeyState(ctx: GatewayContext, fingerprint: string, state: KeyState): void {
  for (const { pool } of ctx.registry.keyPools()) pool.adopt(fingerprint, state);
}

async function loadKeyStates(store: StateStore, pools: readonly KeyPool[]): Promise<void> {
  const fingerprints = [...new Set(pools.flatMap((pool) => pool.storeFingerprints()))];
  if (fingerprints.length === 0) return;
  const states = await store.keyStates(fingerprints);
  for (const pool of pools) for (const [fingerprint, state] of states) pool.adopt(fingerprint, state);
}

/** Logs a failed store call as a warning: sharing key states is best effort, serving goes on. */
function warnWith(ctx: GatewayContext, message: string): (error: unknown) => void {
  return (error) => ctx.logger.warn({ err: error instanceof Error ? error.message : String(error) }, message);
}
