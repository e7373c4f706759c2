/**
 * The gateway's local view as replication (state/replication/) sees it: the registry's backends,
 * their breakers, health marks and key pools. Also where a registration made on another replica
 * becomes a backend here: the record is checked against the backend schema and against this
 * replica's own registration guard (no userinfo, the address policy, the allow-list: the same
 * check as `POST /backends/register`, since whoever can write the shared store is not thereby
 * trusted, and replicas may deny different ranges), then added as a runtime backend and probed.
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { backendSchema } from "../config/schema.js";
import type { LocalView } from "../state/replication/replication.js";
import { checkRegistrableUrl } from "./admin-guard.js";
import type { GatewayContext } from "./context.js";

/** The latest registration event per backend id: a check that resolves after a newer one is dropped. */
type Generations = Map<string, number>;

export function localView(ctx: GatewayContext): LocalView {
  const { registry, health } = ctx;
  const generations: Generations = new Map();
  return {
    backendIds: () => registry.list().map((backend) => backend.id),
    circuitOf: (id) => registry.get(id)?.circuit,
    register: (id, record) => applyRegistration(ctx, generations, id, record),
    unregister: (id) => {
      generations.set(id, (generations.get(id) ?? 0) + 1);
      removeRegistration(ctx, id);
    },
    adoptDownMark: (id) => {
      const backend = registry.get(id);
      if (backend) health.adoptDownMark(backend);
    },
    onOwnHealth: (listener) => {
      health.onOwnVerdict = listener && ((backend, healthy) => listener(backend.id, healthy));
    },
    keyPools: () => registry.keyPools().map(({ pool }) => pool),
    watchKeyPools: (watcher) => registry.watchKeyPools(watcher),
  };
}

/**
 * Adds a backend registered on any replica (this one included: its own put comes back as an
 * event). Idempotent: a runtime backend with the same effective config is left as it is, live
 * state included.
 */
function applyRegistration(ctx: GatewayContext, generations: Generations, id: string, record: unknown): void {
  const parsed = backendSchema.safeParse(record);
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
  const generation = (generations.get(id) ?? 0) + 1;
  generations.set(id, generation);
  const config = parsed.data;
  void checkRegistrableUrl(config.url, ctx.config.register_allowlist, ctx.pools.policy).then(
    () => {
      if (generations.get(id) !== generation) return;
      const backend = ctx.registry.add(id, config, "runtime");
      ctx.strategies.forget(id);
      void ctx.health.probe(backend);
      ctx.logger.info({ backend: id, url: backend.url }, "backend registered on another replica");
    },
    (error: Error) => {
      if (generations.get(id) !== generation) return;
      ctx.logger.warn(
        { backend: id, reason: error.message },
        "ignored a shared registration this replica refuses",
      );
    },
  );
}

/** Removes a runtime backend unregistered on any replica; config and discovered ones stay. */
function removeRegistration(ctx: GatewayContext, id: string): void {
  const backend = ctx.registry.get(id);
  if (backend?.source !== "runtime" || !ctx.registry.remove(id)) return;
  ctx.strategies.forget(id);
  ctx.slo.forget(id);
  ctx.kvGates.forget(id);
  if (!ctx.registry.list().some((other) => other.origin === backend.origin)) {
    void ctx.pools.release(backend.origin);
  }
  ctx.logger.info({ backend: id }, "backend unregistered on another replica");
}
