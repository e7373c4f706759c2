/**
 * The Responses API's stored-response routes: `GET /v1/responses/{id}` (the Response object as it
 * was returned), `GET /v1/responses/{id}/input_items` (the conversation that produced it, paged as
 * OpenAI pages it) and `DELETE /v1/responses/{id}`. Errors are OpenAI-shaped, through the app's
 * error handler. `POST /v1/responses`, which fills the store, is an inference route of its own.
 * @module
 */
import type { FastifyInstance, preHandlerHookHandler } from "fastify";
import type { ResponseStore } from "../../state/response-store/response-store.js";
import { GatewayError } from "../errors.js";
import { callResponseStore, responseNotFound } from "../response-store-call.js";

/** The store itself, or a getter for one the gateway replaces after building its routes. */
export type ResponseStoreSource = ResponseStore | (() => ResponseStore);

export interface ResponseStoreRouteOptions {
  /** Runs before each route's handler, e.g. client-key authentication. */
  preHandler?: preHandlerHookHandler;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

interface IdParams {
  id: string;
}

interface InputItemsQuery {
  limit?: string;
  order?: string;
  after?: string;
}

export function responseStoreRoutes(source: ResponseStoreSource, options: ResponseStoreRouteOptions = {}) {
  const store = typeof source === "function" ? source : () => source;
  const hooks = options.preHandler ? { preHandler: options.preHandler } : {};
  return async function responseStoreRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: IdParams }>("/v1/responses/:id", hooks, async (request) => {
      const { id } = request.params;
      const entry = await callResponseStore(() => store().get(id));
      if (!entry) throw responseNotFound(id);
      return entry.response;
    });

    app.get<{ Params: IdParams; Querystring: InputItemsQuery }>(
      "/v1/responses/:id/input_items",
      hooks,
      async (request) => {
        const { id } = request.params;
        const paging = inputItemsPaging(request.query);
        const entry = await callResponseStore(() => store().get(id));
        if (!entry) throw responseNotFound(id);
        return inputItemsPage(entry.input, paging);
      },
    );

    app.delete<{ Params: IdParams }>("/v1/responses/:id", hooks, async (request) => {
      const { id } = request.params;
      if (!(await callResponseStore(() => store().delete(id)))) throw responseNotFound(id);
      return { id, object: "response", deleted: true };
    });
  };
}

export interface InputItemsPaging {
  limit: number;
  order: "asc" | "desc";
  after: string | undefined;
}

/** The query's paging, or a 400 naming the parameter at fault. */
export function inputItemsPaging(query: InputItemsQuery): InputItemsPaging {
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new GatewayError(
      "SWY_ERR_INVALID_REQUEST",
      `Invalid 'limit': expected an integer from 1 to ${MAX_LIMIT}, got '${query.limit}'.`,
      { param: "limit" },
    );
  }
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new GatewayError(
      "SWY_ERR_INVALID_REQUEST",
      `Invalid 'order': expected 'asc' or 'desc', got '${order}'.`,
      {
        param: "order",
      },
    );
  }
  return { limit, order, after: query.after };
}

/** OpenAI's `ResponseItemList`: newest first unless `asc`, `limit` items after the item `after`. */
export function inputItemsPage(items: readonly unknown[], paging: InputItemsPaging) {
  const ordered = paging.order === "asc" ? items : [...items].reverse();
  let start = 0;
  if (paging.after !== undefined) {
    const at = ordered.findIndex((item) => itemId(item) === paging.after);
    if (at < 0) {
      throw new GatewayError(
        "SWY_ERR_INVALID_REQUEST",
        `Invalid 'after': no input item of this response has the id '${paging.after}'.`,
        { param: "after" },
      );
    }
    start = at + 1;
  }
  const data = ordered.slice(start, start + paging.limit);
  return {
    object: "list" as const,
    data,
    first_id: itemId(data[0]) ?? null,
    last_id: itemId(data.at(-1)) ?? null,
    has_more: start + paging.limit < ordered.length,
  };
}

function itemId(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null | undefined)?.id;
  return typeof id === "string" ? id : undefined;
}
