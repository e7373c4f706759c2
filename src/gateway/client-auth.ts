/**
 * Gateway API keys on the inference routes, as a `preHandler` hook: with keys configured, a request
 * is authenticated (401), checked against the models its key may use (403) and counted against the
 * key's limits (429) before its route handler runs, and the answer is in the route's protocol like
 * any other error. Without keys the hook is a single check.
 * @module
 */
import type { FastifyInstance, preHandlerHookHandler } from "fastify";
import { noteClient } from "./access-log.js";
import { admitRequest, assertModelAllowed, type Client } from "./client-keys.js";
import type { GatewayContext } from "./context.js";

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
  return (request, _reply, done) => {
    // Read per request: a reload replaces the keys.
    const keys = ctx.clientKeys;
    if (!keys.required) return done();
    let client: Client;
    try {
      client = keys.authenticate(request.headers);
      request.gatewayClient = client;
      noteClient(request, client);
      // The check is on the model the request resolves to (an alias's target), as routing uses it.
      const requested = (request.body as { model?: unknown } | null)?.model;
      const resolved = typeof requested === "string" ? ctx.models.resolve(requested) : undefined;
      if (resolved) assertModelAllowed(client, resolved.model);
    } catch (error) {
      done(error as Error);
      return;
    }
    admitRequest(ctx.state, client).then(() => done(), done);
  };
}
