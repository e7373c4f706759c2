/**
 * KV admission for a request's other attempts: a hedge and a broken stream's continuation go to
 * another backend than the first pick, and enter that backend's gate like any attempt
 * (kv-admission-step.ts), so admission counts every request an engine serves. A hedge is optional
 * work and takes room only if there is some at once; a continuation waits for it, bounded. Each
 * attempt releases its gate when it settles; the attempt a continuation replaces has released
 * its own by then, so a request never waits for room it holds itself.
 * @module
 */
import type { BackendState } from "../routing/backend.js";
import type { AbortSource } from "../routing/capacity-queue.js";
import type { RoutingRequest } from "../routing/strategies/strategy.js";
import type { GatewayContext } from "./context.js";
import { enterKvGate } from "./kv-admission-step.js";
import type { Continuation } from "./stream-resume.js";

/** The release of the room taken at `backend`'s gate, or undefined when the gate did not let it in. */
export async function enterAttemptGate(
  ctx: GatewayContext,
  backend: BackendState,
  request: { readonly id: string; readonly body: unknown },
  routing: RoutingRequest,
  waitMs: number,
  signal: AbortSource,
): Promise<(() => void) | undefined> {
  const entry = await enterKvGate(ctx, backend, request, routing, Math.max(0, waitMs), signal);
  return entry.kind === "admitted" ? entry.release : undefined;
}

/** The continuation, whose release (once, when its body is done) also gives back its gate's room. */
export function releasingKv(continuation: Continuation, release: () => void): Continuation {
  return {
    response: continuation.response,
    backendId: continuation.backendId,
    release: (outcome) => {
      continuation.release(outcome);
      release();
    },
  };
}
