/**
 * Gateway API keys on the inference routes, as a `preHandler` hook: with keys configured or made
 * at run time, a request is authenticated (401, expired keys too), checked against the models its
 * key may use (403), counted against the key's limits (429) and charged its worst case against
 * its key's and team's budgets (429) before its route handler runs, and the answer is in the
 * route's protocol like any other error. Without keys the hook is a single check.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from "fastify";
import { noteClient } from "./access-log.js";
import { reserveBudget } from "./budget-admission.js";
import {
  admitRequest,
  assertModelAllowed,
  assertNotExpired,
  type Client,
  invalidKey,
  presentedDigest,
} from "./client-keys.js";
import type { GatewayContext } from "./context.js";
import { clientOfRecord } from "./runtime-keys.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The client a gateway key named; null when the gateway has no keys (or the route needs none). */
    gatewayClient: Client | null;
  }
}

export function decorateGatewayClient(app: FastifyInstance): void {
  app.decorateRequest("gatewayClient", null);
}

export function authenticateClient(ctx: GatewayContext): preHandlerHookHandler {
  return (request, reply, done) => {
    // Read per request: a reload replaces the keys.
    const keys = ctx.clientKeys;
    if (!keys.required && !ctx.runtimeKeys.enabled) return done();
    let digest: string;
    try {
      digest = presentedDigest(request.headers);
    } catch (error) {
      done(error as Error);
      return;
    }
    const configured = keys.find(digest);
    if (configured) {
      admit(ctx, request, reply, configured).then(() => done(), done);
      return;
    }
    const found = ctx.runtimeKeys.findByDigest(digest);
    const admitted =
      found === undefined || !(found instanceof Promise)
        ? admitRuntime(ctx, request, reply, found)
        : found.then((stored) => admitRuntime(ctx, request, reply, stored));
    admitted.then(() => done(), done);
  };
}

function admitRuntime(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  stored: Parameters<typeof clientOfRecord>[0] | undefined,
): Promise<void> {
  if (!stored) return Promise.reject(invalidKey());
  return admit(ctx, request, reply, clientOfRecord(stored));
}

async function admit(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply, client: Client) {
  assertNotExpired(client, Date.now());
  request.gatewayClient = client;
  noteClient(request, client);
  // The check is on the model the request resolves to (an alias's target), as routing uses it.
  const requested = (request.body as { model?: unknown } | null)?.model;
  const resolved = typeof requested === "string" ? ctx.models.resolve(requested) : undefined;
  if (resolved) assertModelAllowed(client, resolved.model);
  await admitRequest(ctx.state, client);
  if (resolved) await reserveBudget(ctx, request, reply, client, resolved.model);
}
