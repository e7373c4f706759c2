/**
 * The web console: `GET /console` serves the page (console/page.ts), which holds no data, and the
 * page reads `/console/api/fleet` (every backend with its health, circuit, load and the engine's
 * own queue) and `/console/api/decisions` (recent routing decisions, route-decisions.ts). The data
 * routes sit behind the admin guard like the other operator routes; drain and resume go through the
 * existing `/backends/:name/drain|resume`.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { consolePage } from "../../console/page.js";
import { checkAdminAccess } from "../admin-guard.js";
import type { GatewayContext } from "../context.js";
import { GatewayError } from "../errors.js";
import { localStatus } from "../local-figures.js";
import { mergeStatus, ownFiguresOnly } from "../merge-figures.js";

export function consoleRoutes(ctx: GatewayContext) {
  return async function consoleRoutesPlugin(app: FastifyInstance): Promise<void> {
    const page = consolePage();
    app.get("/console", async (_request, reply) => {
      reply.header("content-type", "text/html; charset=utf-8");
      reply.header("cache-control", "no-store");
      // The page loads nothing from elsewhere; say so, so an injected script could not either.
      reply.header(
        "content-security-policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
      );
      return page;
    });

    app.register(async (data) => {
      data.addHook("onRequest", async (request) =>
        checkAdminAccess(ctx.config.admin_token, ctx.config.host, request.headers.authorization),
      );

      data.get("/console/api/fleet", async () => {
        const status = ctx.workers
          ? await ctx.workers
              .gather("status")
              .then((gathered) => (gathered ? mergeStatus(gathered) : ownFiguresOnly(localStatus(ctx))))
          : localStatus(ctx);
        const queueDepth = new Map(ctx.registry.list().map((backend) => [backend.id, backend.queueDepth]));
        return {
          ...status,
          backends: status.backends.map((backend) => ({
            ...backend,
            engine_queue: queueDepth.get(backend.name) ?? 0,
          })),
        };
      });

      data.get<{ Querystring: { after?: string } }>("/console/api/decisions", async (request) => {
        const after = request.query.after === undefined ? 0 : Number(request.query.after);
        if (!Number.isInteger(after) || after < 0) {
          throw new GatewayError("SWY_ERR_INVALID_REQUEST", "Invalid 'after': a whole number is expected.", {
            param: "after",
          });
        }
        return { decisions: ctx.decisions.since(after) };
      });
    });
  };
}
