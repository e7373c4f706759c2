/**
 * How a gateway replica joins the state it shares with the others through a {@link StateStore}:
 * runtime registrations made on any replica are added to (or removed from) this one's registry
 * (their sealed api_keys opened with the state secret), a circuit opened or closed anywhere is
 * mirrored in this replica's local breaker, upstream key cooldowns and disabled keys reach every
 * key pool (shared-keys.ts), and health marks follow the policy in routing/health.ts: this
 * replica publishes its own health changes and adopts the others' "down" marks. The hot path keeps
 * reading only local objects (`backend.circuit`, `backend.healthy`, the key pools); this module
 * keeps them in line with the store from its events.
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { backendSchema } from "../config/schema.js";
import type { StateEvent } from "../state/events.js";
import type { CircuitSnapshot, StateStore } from "../state/store.js";
import type { GatewayContext } from "./context.js";
import { adoptKeyState, shareKeyPools } from "./shared-keys.js";

/**
 * Subscribes this replica to `store`'s events, then loads every registration and the circuit of
 * every known backend. Subscribing first means nothing announced meanwhile is missed; applying a
 * change twice is harmless. Returns the unsubscribe function.
 */
export async function joinSharedState(ctx: GatewayContext, store: StateStore): Promise<() => void> {
  const unsubscribe = store.subscribe((event) => applyStateEvent(ctx, event));
  ctx.health.onOwnVerdict = (backend, healthy) => {
    store.setHealth(backend.id, healthy).catch(() => {});
  };
  for (const [id, record] of await store.registrations()) applyRegistration(ctx, id, record);
  // After the registrations, so the pools of backends registered elsewhere read their states too.
  const stopSharingKeys = shareKeyPools(ctx, store);
  await Promise.all(
    ctx.registry.list().map(async (backend) => {
      mirrorCircuit(ctx, backend.id, await store.circuit(backend.id));
    }),
  );
  return () => {
    unsubscribe();
    stopSharingKeys();
    ctx.health.onOwnVerdict = undefined;
  };
}

export function applyStateEvent(ctx: GatewayContext, event: StateEvent): void {
  switch (event.type) {
    case "put":
      applyRegistration(ctx, event.id, event.record);
      return;
    case "delete":
      removeRegistration(ctx, event.id);
      return;
    case "circuit":
      mirrorCircuit(ctx, event.backendId, event.snapshot);
      return;
    case "health": {
      // Only "down" is adopted (the policy is in routing/health.ts); this replica's own marks come
      // back here too and find the backend already in that state.
      const backend = ctx.registry.get(event.backendId);
      if (backend && !event.healthy) ctx.health.adoptDownMark(backend);
      return;
    }
    case "key":
      adoptKeyState(ctx, event.fingerprint, event.state);
      return;
  }
}

/**
 * Adds a backend registered on any replica (this one included: its own put comes back as an
 * event). Idempotent: a runtime backend with the same effective config is left as it is, live
 * state included.
 */
function applyRegistration(ctx: GatewayContext, id: string, record: unknown): void {
  const opened = ctx.registrationSecrets.fromStored(id, record);
  if (!opened.ok) {
    ctx.logger.error({ backend: id }, `ignored a shared registration: ${opened.reason}`);
    return;
  }
  const parsed = backendSchema.safeParse(opened.record);
  if (!parsed.success) {
    ctx.logger.warn({ backend: id }, "ignored a shared registration that is not a valid backend");
    return;
  }
  const current = ctx.registry.get(id);
  if (
    current?.source === "runtime" &&
    isDeepStrictEqual(current.config, ctx.registry.effectiveConfig(id, parsed.data))
  ) {
    return;
  }
  const backend = ctx.registry.add(id, parsed.data, "runtime");
  ctx.strategies.forget(id);
  void ctx.health.probe(backend);
  ctx.logger.info({ backend: id, url: backend.url }, "backend registered on another replica");
}

/** Removes a runtime backend unregistered on any replica; config and discovered ones stay. */
function removeRegistration(ctx: GatewayContext, id: string): void {
  const backend = ctx.registry.get(id);
  if (backend?.source !== "runtime" || !ctx.registry.remove(id)) return;
  ctx.strategies.forget(id);
  if (!ctx.registry.list().some((other) => other.origin === backend.origin)) {
    void ctx.pools.release(backend.origin);
  }
  ctx.logger.info({ backend: id }, "backend unregistered on another replica");
}

/**
 * An open circuit anywhere opens the local breaker until the same time; a reset (a success
 * anywhere) closes it. Failure counts below the threshold stay in the store.
 */
function mirrorCircuit(ctx: GatewayContext, id: string, snapshot: CircuitSnapshot): void {
  const backend = ctx.registry.get(id);
  if (!backend) return;
  if (snapshot.openedUntil > Date.now()) backend.circuit.openUntil(snapshot.openedUntil);
  else if (snapshot.openedUntil === 0 && snapshot.consecutiveFailures === 0) {
    if (backend.circuit.state !== "closed" || backend.circuit.consecutiveFailures > 0)
      backend.circuit.closeNow();
  }
}
