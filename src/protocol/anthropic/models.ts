/**
 * Anthropic's Models API shape (`GET /v1/models`, `GET /v1/models/{id}`), for clients that send
 * `anthropic-version`: model objects, and the cursor pages Anthropic lists them in (`limit`,
 * `after_id`, `before_id`; `has_more`, `first_id`, `last_id`).
 * @module
 */

export interface AnthropicModelInfo {
  type: "model";
  id: string;
  /** The gateway knows no marketing name: the id itself. */
  display_name: string;
  /** RFC 3339. */
  created_at: string;
}

export interface AnthropicModelPage {
  data: AnthropicModelInfo[];
  /** More models lie beyond this page in the direction of travel (after it, or before it with `before_id`). */
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export const DEFAULT_MODEL_PAGE_SIZE = 20;
export const MAX_MODEL_PAGE_SIZE = 1000;

export interface ModelPageQuery {
  limit: number;
  afterId?: string | undefined;
  beforeId?: string | undefined;
}

export type ParsedPageQuery =
  | { ok: true; query: ModelPageQuery }
  | { ok: false; message: string; param: string };

/** Reads `limit`, `after_id` and `before_id` from a query string object, as Anthropic checks them. */
export function parseModelPageQuery(query: Readonly<Record<string, unknown>>): ParsedPageQuery {
  const { limit: rawLimit, after_id: afterId, before_id: beforeId } = query;
  let limit = DEFAULT_MODEL_PAGE_SIZE;
  if (rawLimit !== undefined) {
    limit = typeof rawLimit === "string" && /^\d+$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_MODEL_PAGE_SIZE)) {
      const message = `limit: must be an integer from 1 to ${MAX_MODEL_PAGE_SIZE}.`;
      return { ok: false, message, param: "limit" };
    }
  }
  for (const [param, value] of [
    ["after_id", afterId],
    ["before_id", beforeId],
  ] as const) {
    if (value !== undefined && typeof value !== "string") {
      return { ok: false, message: `${param}: must be a single model id.`, param };
    }
  }
  if (afterId !== undefined && beforeId !== undefined) {
    return { ok: false, message: "Give after_id or before_id, not both.", param: "before_id" };
  }
  return {
    ok: true,
    query: { limit, afterId: afterId as string | undefined, beforeId: beforeId as string | undefined },
  };
}

export function anthropicModelInfo(id: string, createdAt: string): AnthropicModelInfo {
  return { type: "model", id, display_name: id, created_at: createdAt };
}

/**
 * One page of `ids` (in the order given). An id that names no model (a backend went away between
 * two pages) gives an empty last page rather than an error, so a client's paging loop ends.
 */
export function modelPage(
  ids: readonly string[],
  query: ModelPageQuery,
  createdAt: string,
): AnthropicModelPage {
  const { start, end, hasMore } = pageBounds(ids, query);
  const data = ids.slice(start, end).map((id) => anthropicModelInfo(id, createdAt));
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

function pageBounds(
  ids: readonly string[],
  query: ModelPageQuery,
): { start: number; end: number; hasMore: boolean } {
  if (query.beforeId !== undefined) {
    const end = Math.max(ids.indexOf(query.beforeId), 0);
    const start = Math.max(end - query.limit, 0);
    return { start, end, hasMore: start > 0 };
  }
  const after = query.afterId === undefined ? -1 : ids.indexOf(query.afterId);
  const start = query.afterId !== undefined && after < 0 ? ids.length : after + 1;
  const end = Math.min(start + query.limit, ids.length);
  return { start, end, hasMore: end < ids.length };
}
