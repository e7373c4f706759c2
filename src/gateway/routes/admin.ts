/**
 * Operator routes: register and unregister backends at run time (the Python load balancer's body), list them, and
 * ai-lb's node views. Changes take effect at once; requests in flight to a removed backend
 * finish on their own. With an admin token configured, the `/backends` routes need
 * `Authorization: Bearer <token>`.
 * @module
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { backendId } from "../../config/load.js";
import { backendSchema } from "../../config/schema.js";
import type { BackendState } from "../../routing/backend.js";
import { checkAdminAccess, checkRegistrableUrl } from "../admin-guard.js";
import type { GatewayContext } from "../context.js";
import { GatewayError } from "../errors.js";
import { ReloadRefusedError } from "../reload-guard.js";

export function adminRoutes(ctx: GatewayContext) {
  return async function adminRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.register(async (backendsScope) => {
      backendsScope.addHook("onRequest", async (request) => requireAdminToken(ctx, request));

      backendsScope.post("/admin/reload", async () => {
        if (!ctx.reloadConfig) {
          throw new GatewayError(
            "SWY_ERR_INVALID_REQUEST",
            "This gateway was not started from configuration sources it can re-read.",
          );
        }
        try {
          return { status: "reloaded", ...(await ctx.reloadConfig()) };
        } catch (error) {
          if (error instanceof ReloadRefusedError) {
            throw new GatewayError("SWY_ERR_RELOAD_REFUSED", `The reload was refused: ${error.message}`);
          }
          throw new GatewayError(
            "SWY_ERR_INVALID_CONFIG",
            `The new configuration was rejected: ${(error as Error).message}`,
          );
        }
      });

      backendsScope.get("/backends", async () => ({
        backends: ctx.registry.list().map((b) => b.snapshot()),
      }));

      backendsScope.post("/backends/register", async (request) => {
        const parsed = backendSchema.safeParse(request.body ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const param = issue.path.join(".") || null;
          throw new GatewayError(
            "SWY_ERR_INVALID_REQUEST",
            `Invalid backend: ${param ?? "body"}: ${issue.message}.`,
            {
              ...(param ? { param } : {}),
            },
          );
        }
        await checkRegistrableUrl(parsed.data.url, ctx.config.register_allowlist, ctx.pools.policy);
        const id = backendId(parsed.data);
        // Sealed (or refused, when its keys would reach Redis in clear) before anything changes.
        const sealed = ctx.replication.sealRegistration(id, parsed.data);
        if (!sealed.ok)
          throw new GatewayError("SWY_ERR_INVALID_REQUEST", sealed.reason, { param: "api_keys" });
        const replaced = ctx.registry.get(id) !== undefined;
        const backend = ctx.registry.add(id, parsed.data, "runtime");
        ctx.strategies.forget(id);
        // Other replicas add it from the store's event; this one's own event finds it in place.
        await ctx.replication.putRegistration(id, sealed.stored);
        await ctx.health.probe(backend);
        ctx.logger.info({ backend: id, url: backend.url, replaced }, "backend registered");
        return { status: replaced ? "updated" : "registered", backend: backend.snapshot() };
      });

      const unregister = async (name: unknown) => {
        if (typeof name !== "string" || name.length === 0) {
          throw new GatewayError("SWY_ERR_INVALID_REQUEST", "Missing required parameter: 'name'.", {
            param: "name",
          });
        }
        const backend = ctx.registry.get(name);
        if (!backend || !ctx.registry.remove(name)) {
          throw new GatewayError("SWY_ERR_BACKEND_NOT_FOUND", `No backend is named '${name}'.`, {
            param: "name",
          });
        }
        ctx.strategies.forget(name);
        ctx.slo.forget(name);
        ctx.kvGates.forget(name);
        if (backend.source === "runtime") await ctx.replication.deleteRegistration(name);
        if (!ctx.registry.list().some((other) => other.origin === backend.origin)) {
          // Closing waits for requests in flight on the pool, so nothing accepted is cut.
          void ctx.pools.release(backend.origin);
        }
        ctx.logger.info({ backend: name }, "backend unregistered");
        return { status: "unregistered", backend: backend.snapshot() };
      };
      const setDraining = (name: string, draining: boolean) => {
        const backend = ctx.registry.get(name);
        if (!backend)
          throw new GatewayError("SWY_ERR_BACKEND_NOT_FOUND", `No backend is named '${name}'.`, {
            param: "name",
          });
        backend.draining = draining;
        ctx.logger.info(
          { backend: name, inflight: backend.inflight },
          draining ? "backend draining" : "backend resumed",
        );
        return { status: draining ? "draining" : "active", backend: backend.snapshot() };
      };
      backendsScope.post<{ Params: { name: string } }>("/backends/:name/drain", async (request) =>
        setDraining(request.params.name, true),
      );
      backendsScope.post<{ Params: { name: string } }>("/backends/:name/resume", async (request) =>
        setDraining(request.params.name, false),
      );

      backendsScope.post("/backends/unregister", async (request) =>
        unregister((request.body as { name?: unknown })?.name),
      );
      backendsScope.delete<{ Params: { name: string } }>("/backends/:name", async (request) =>
        unregister(request.params.name),
      );
    });

    app.get("/v1/nodes", async () => ({
      object: "list",
      data: ctx.registry
        .list()
        .filter((backend) => backend.healthy)
        .map(nodeView),
    }));

    app.get<{ Querystring: { model?: string } }>("/v1/eligible_nodes", async (request) => {
      const model = request.query.model;
      if (!model)
        throw new GatewayError("SWY_ERR_INVALID_REQUEST", "Missing required parameter: 'model'.", {
          param: "model",
        });
      const resolved = ctx.models.resolve(model)?.model ?? model;
      return {
        object: "list",
        model: resolved,
        data: ctx.registry
          .serving(resolved)
          // What could take the model now: a node at its cap or draining would make a request wait or go elsewhere.
          .filter(
            (backend) =>
              backend.healthy && !backend.draining && backend.hasCapacity && backend.circuit.canAttempt(),
          )
          .map(nodeView),
      };
    });
  };
}

function nodeView(backend: BackendState) {
  return {
    node: backend.id,
    url: backend.url,
    healthy: backend.healthy,
    inflight: backend.inflight,
    failures: backend.failures,
    maxconn: backend.maxConnections,
    circuit: backend.circuit.state,
    models: backend.models,
  };
}

function requireAdminToken(ctx: GatewayContext, request: FastifyRequest): void {
  checkAdminAccess(ctx.config.admin_token, ctx.config.host, request.headers.authorization);
}
