/**
 * Joins this gateway to the state it shares with other replicas, when there is any: with `redis`
 * set, a `RedisStore`; otherwise, in a `--workers` worker, the `IpcStore` of its primary
 * (state/ipc-host.ts); otherwise nothing, and the single process keeps its `MemoryStore` and
 * `LocalReplication`. Joining replaces `ctx.state` and `ctx.replication` and mirrors the store into
 * the local view (state/replication/shared.ts).
 * @module
 */

import { redactUrl } from "../config/redact-url.js";
import { IpcStore, primaryStatePort } from "../state/ipc-client.js";
import type { IpcPort } from "../state/ipc-port.js";
import { RegistrationSecrets } from "../state/replication/registration-secrets.js";
import { SharedReplication } from "../state/replication/shared.js";
import type { StateStore } from "../state/store.js";
import type { GatewayContext } from "./context.js";
import { localView } from "./local-view.js";

/** Leaves replication and closes the store, whichever it is. */
export type LeaveReplication = () => Promise<void>;

export async function joinReplication(ctx: GatewayContext): Promise<LeaveReplication> {
  const { config, logger } = ctx;
  let closing = false;
  let replication: SharedReplication | undefined;
  const leave = async () => {
    closing = true;
    replication?.leave();
    await ctx.state.close();
  };
  const logStateError = (error: unknown) =>
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "shared state error");
  const adopt = async (store: StateStore) => {
    await ctx.state.close();
    ctx.state = store;
    replication = new SharedReplication(store, {
      // Registrations leave the host only through Redis; a primary's store stays on it.
      secrets: new RegistrationSecrets(config.state_secret, config.redis !== undefined),
      log: logger,
    });
    ctx.replication = replication;
    await replication.join(localView(ctx));
  };

  if (config.redis) {
    const url = config.redis;
    let wasDegraded = false;
    // Loaded only here: node-redis and its modules are most of a gateway's start-up without Redis.
    const { RedisStore } = await import("../state/redis.js");
    const store = await RedisStore.connect({
      url,
      ...(config.redis_namespace ? { namespace: config.redis_namespace } : {}),
      onError: logStateError,
      onStatusChange: (status) => {
        if (closing) return;
        if (status === "degraded") {
          wasDegraded = true;
          logger.warn("Redis unreachable: serving from this replica's local view of the state");
        } else if (wasDegraded) {
          wasDegraded = false;
          logger.info("Redis reachable again: shared state resynchronised");
          replication?.resync();
        }
      },
    });
    await adopt(store);
    if (store.status() === "degraded") {
      wasDegraded = true;
      logger.warn({ url: redactUrl(url) }, "Redis not reachable yet: serving from this replica's local view");
    }
    return leave;
  }
  const port: IpcPort | undefined = primaryStatePort();
  if (port) {
    const store = await IpcStore.connect({
      port,
      onError: logStateError,
      onStatusChange: (status) => {
        if (closing) return;
        if (status === "degraded") {
          logger.warn("primary not answering: serving from this worker's local view");
          return;
        }
        logger.info("primary answering again: shared state resynchronised");
        replication?.resync();
      },
    });
    await adopt(store);
  }
  return leave;
}
