/**
 * What the admin routes ask of the ledger: usage summed by key, model or backend per hour or day,
 * and the request log, newest first, paged by keyset (the last row's time and id), so a page costs
 * the same however deep it is. Every filter is on an indexed column followed by time
 * (test/ledger/explain.test.ts checks the plans).
 * @module
 */
import { and, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { LedgerDb } from "./database.js";
import type { LedgerRow } from "./row.js";
import { ledgerRequests as r } from "./schema.js";

export type UsageGroup = "key" | "model" | "backend";
export type UsageBucket = "hour" | "day";

export interface UsageQuery {
  groupBy: UsageGroup;
  bucket: UsageBucket;
  from: Date;
  to: Date;
}

export interface UsageRow {
  group: string | null;
  bucket: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Null when no row of the group had a cost. */
  costUsd: number | null;
}

const GROUP_COLUMNS = { key: r.keyName, model: r.modelServed, backend: r.backend } as const;

/** The usage query, unrun: `usage` runs it, the EXPLAIN test explains it. */
export function usageSelect(db: LedgerDb, query: UsageQuery) {
  const group = GROUP_COLUMNS[query.groupBy];
  // date_trunc in UTC, so buckets are the same whatever the server's time zone.
  const bucket = sql<Date>`date_trunc(${sql.raw(`'${query.bucket}'`)}, ${r.time}, 'UTC')`;
  return db
    .select({
      group,
      bucket,
      requests: sql<number>`count(*)::int`,
      errors: sql<number>`count(*) FILTER (WHERE ${r.status} >= 400)::int`,
      inputTokens: sql<number>`coalesce(sum(${r.inputTokens}), 0)::bigint`,
      outputTokens: sql<number>`coalesce(sum(${r.outputTokens}), 0)::bigint`,
      cachedTokens: sql<number>`coalesce(sum(${r.cachedTokens}), 0)::bigint`,
      reasoningTokens: sql<number>`coalesce(sum(${r.reasoningTokens}), 0)::bigint`,
      costUsd: sql<number | null>`sum(${r.costUsd})::float8`,
    })
    .from(r)
    .where(and(gte(r.time, query.from), lt(r.time, query.to)))
    .groupBy(group, bucket)
    .orderBy(bucket, group);
}

export async function usage(db: LedgerDb, query: UsageQuery): Promise<UsageRow[]> {
  const rows = await usageSelect(db, query);
  return rows.map((row) => ({
    group: row.group,
    bucket: new Date(row.bucket).toISOString(),
    requests: Number(row.requests),
    errors: Number(row.errors),
    inputTokens: Number(row.inputTokens),
    outputTokens: Number(row.outputTokens),
    cachedTokens: Number(row.cachedTokens),
    reasoningTokens: Number(row.reasoningTokens),
    costUsd: row.costUsd === null ? null : Number(row.costUsd),
  }));
}

/** Where a page ends: the last row's time and id. */
export interface PageCursor {
  time: Date;
  id: string;
}

export interface RequestsQuery {
  key?: string | undefined;
  model?: string | undefined;
  status?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  after?: PageCursor | undefined;
}

export interface RequestsPage {
  rows: LedgerRow[];
  /** Set when more rows follow. */
  next: PageCursor | undefined;
}

/** The request-log query, unrun (one row more than the page, to know whether another follows). */
export function requestsSelect(db: LedgerDb, query: RequestsQuery) {
  const conditions: SQL[] = [];
  if (query.key !== undefined) conditions.push(eq(r.keyName, query.key));
  if (query.model !== undefined) conditions.push(eq(r.modelServed, query.model));
  if (query.status !== undefined) conditions.push(eq(r.status, query.status));
  if (query.from !== undefined) conditions.push(gte(r.time, query.from));
  if (query.to !== undefined) conditions.push(lt(r.time, query.to));
  if (query.after !== undefined) {
    const { time, id } = query.after;
    // A row comparison: the (time, id) index bounds the scan with it.
    conditions.push(sql`(${r.time}, ${r.id}) < (${time.toISOString()}::timestamptz, ${id}::uuid)`);
  }
  return db
    .select()
    .from(r)
    .where(and(...conditions))
    .orderBy(desc(r.time), desc(r.id))
    .limit(query.limit + 1);
}

export async function requestsPage(db: LedgerDb, query: RequestsQuery): Promise<RequestsPage> {
  const rows = (await requestsSelect(db, query)) as LedgerRow[];
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const last = page.at(-1);
  return { rows: page, next: more && last ? { time: last.time, id: last.id } : undefined };
}

/** Clears the kept text of rows older than `before`, keeping the rows themselves. */
export async function forgetTextBefore(db: LedgerDb, before: Date): Promise<void> {
  await db
    .update(r)
    .set({ promptText: null, completionText: null })
    .where(and(lt(r.time, before), sql`(${r.promptText} IS NOT NULL OR ${r.completionText} IS NOT NULL)`));
}
