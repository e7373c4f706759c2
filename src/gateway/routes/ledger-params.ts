/**
 * The query parameters of the ledger's admin routes, checked one by one: a bad one is a 400 that
 * names it, an unknown one too (a typo would otherwise widen the query silently).
 * @module
 */
import type { PageCursor, RequestsQuery, UsageBucket, UsageGroup, UsageQuery } from "../../ledger/queries.js";
import { GatewayError } from "../errors.js";

type Query = Readonly<Record<string, unknown>>;

const DAY_MS = 86_400_000;
/** The widest window a usage query may span, per bucket: it bounds the rows one answer holds. */
const MAX_SPAN_DAYS: Readonly<Record<UsageBucket, number>> = { hour: 31, day: 366 };
export const MAX_PAGE = 1_000;
const DEFAULT_PAGE = 100;

export function usageParams(query: Query, now: Date): UsageQuery {
  refuseUnknown(query, ["group_by", "bucket", "from", "to"]);
  const groupBy = oneOf<UsageGroup>(query, "group_by", ["key", "model", "backend"], "key");
  const bucket = oneOf<UsageBucket>(query, "bucket", ["hour", "day"], "day");
  const to = time(query, "to") ?? now;
  const from = time(query, "from") ?? new Date(to.getTime() - (bucket === "hour" ? 1 : 30) * DAY_MS);
  if (from.getTime() >= to.getTime()) invalid("from", "must be before 'to'");
  if (to.getTime() - from.getTime() > MAX_SPAN_DAYS[bucket] * DAY_MS) {
    invalid("from", `spans more than ${MAX_SPAN_DAYS[bucket]} days of ${bucket} buckets`);
  }
  return { groupBy, bucket, from, to };
}

export type ExportFormat = "json" | "csv";

export interface RequestsParams {
  query: RequestsQuery;
  format: ExportFormat;
}

export function requestsParams(query: Query, options: { paged: boolean }): RequestsParams {
  refuseUnknown(query, [
    "key",
    "model",
    "status",
    "from",
    "to",
    "format",
    ...(options.paged ? ["limit", "cursor"] : []),
  ]);
  const from = time(query, "from");
  const to = time(query, "to");
  if (from && to && from.getTime() >= to.getTime()) invalid("from", "must be before 'to'");
  return {
    query: {
      key: text(query, "key"),
      model: text(query, "model"),
      status: status(query),
      from,
      to,
      limit: options.paged ? limit(query) : MAX_PAGE,
      after: options.paged ? cursor(query) : undefined,
    },
    format: oneOf<ExportFormat>(query, "format", ["json", "csv"], "json"),
  };
}

/** Opaque to clients: the last row's time and id, as base64url JSON. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.time.toISOString(), cursor.id])).toString("base64url");
}

function cursor(query: Query): PageCursor | undefined {
  const value = text(query, "cursor");
  if (value === undefined) return undefined;
  try {
    const [time, id] = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown[];
    const at = typeof time === "string" ? new Date(time) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime()) || typeof id !== "string" || !UUID.test(id)) throw new Error();
    return { time: at, id };
  } catch {
    return invalid("cursor", "is not a cursor this gateway gave (next_cursor)");
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function limit(query: Query): number {
  const value = text(query, "limit");
  if (value === undefined) return DEFAULT_PAGE;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1 || parsed > MAX_PAGE) invalid("limit", `must be 1 to ${MAX_PAGE}`);
  return parsed;
}

function status(query: Query): number | undefined {
  const value = text(query, "status");
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d{3}$/.test(value) || parsed < 100 || parsed > 599) invalid("status", "must be an HTTP status");
  return parsed;
}

/** ISO 8601 (`2026-01-31`, `2026-01-31T12:00:00Z`) or seconds since the epoch. */
function time(query: Query, name: string): Date | undefined {
  const value = text(query, name);
  if (value === undefined) return undefined;
  const at = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(at.getTime()) || !/^\d/.test(value)) {
    invalid(name, "must be an ISO 8601 time or seconds since the epoch");
  }
  return at;
}

function oneOf<T extends string>(query: Query, name: string, allowed: readonly T[], fallback: T): T {
  const value = text(query, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) invalid(name, `must be ${allowed.join(", ")}`);
  return value as T;
}

function text(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") invalid(name, "is given more than once");
  return value as string;
}

function refuseUnknown(query: Query, known: readonly string[]): void {
  const unknown = Object.keys(query).find((name) => !known.includes(name));
  if (unknown !== undefined) invalid(unknown, `is not a parameter of this route (${known.join(", ")})`);
}

function invalid(param: string, problem: string): never {
  throw new GatewayError("SWY_ERR_INVALID_REQUEST", `Invalid parameter '${param}': ${problem}.`, { param });
}
