/**
 * The request ledger's admin routes, behind the admin guard: `GET /admin/usage` (usage and spend by
 * key, model or backend per hour or day), `GET /admin/requests` (the request log, newest first,
 * keyset-paged by `next_cursor`) and `GET /admin/requests/export` (every matching row as CSV or
 * JSON, streamed a page at a time so an export of any size holds one page in memory).
 * @module
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Ledger } from "../../ledger/ledger.js";
import type { RequestsQuery, UsageRow } from "../../ledger/queries.js";
import type { LedgerRow } from "../../ledger/row.js";
import { checkAdminAccess } from "../admin-guard.js";
import type { GatewayContext } from "../context.js";
import { GatewayError } from "../errors.js";
import { encodeCursor, requestsParams, usageParams } from "./ledger-params.js";

type Query = Record<string, unknown>;

export function ledgerRoutes(ctx: GatewayContext) {
  return async function ledgerRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.addHook("onRequest", async (request) => {
      checkAdminAccess(ctx.config.admin_token, ctx.config.host, request.headers.authorization);
    });

    app.get<{ Querystring: Query }>("/admin/usage", async (request) => {
      const ledger = ledgerOf(ctx);
      const query = usageParams(request.query, new Date());
      const rows = await answered(ledger.usage(query));
      return {
        object: "list",
        group_by: query.groupBy,
        bucket: query.bucket,
        from: query.from.toISOString(),
        to: query.to.toISOString(),
        data: rows.map((row) => usageView(row, query.groupBy)),
      };
    });

    app.get<{ Querystring: Query }>("/admin/requests", async (request, reply) => {
      const ledger = ledgerOf(ctx);
      const { query, format } = requestsParams(request.query, { paged: true });
      const page = await answered(ledger.requests(query));
      const next = page.next ? encodeCursor(page.next) : null;
      if (format === "csv") {
        if (next) reply.header("x-next-cursor", next);
        return reply.type("text/csv; charset=utf-8").send(csvHeader() + page.rows.map(csvLine).join(""));
      }
      return { object: "list", data: page.rows.map(rowView), next_cursor: next };
    });

    app.get<{ Querystring: Query }>("/admin/requests/export", async (request, reply) => {
      const ledger = ledgerOf(ctx);
      const { query, format } = requestsParams(request.query, { paged: false });
      // The first page is read before the answer starts, so an unreachable database is a 503, not a cut stream.
      const first = await answered(ledger.requests(query));
      return sendExport(reply, format, exportPages(ledger, query, first));
    });
  };
}

function ledgerOf(ctx: GatewayContext): Ledger {
  if (!ctx.ledger) throw new GatewayError("SWY_ERR_LEDGER_OFF");
  return ctx.ledger;
}

async function answered<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    throw new GatewayError(
      "SWY_ERR_LEDGER_UNAVAILABLE",
      `The ledger's database did not answer: ${(error as Error).message}`,
    );
  }
}

async function* exportPages(
  ledger: Ledger,
  query: RequestsQuery,
  first: Awaited<ReturnType<Ledger["requests"]>>,
): AsyncGenerator<LedgerRow[]> {
  let page = first;
  for (;;) {
    yield page.rows;
    if (!page.next) return;
    page = await ledger.requests({ ...query, after: page.next });
  }
}

function sendExport(reply: FastifyReply, format: "json" | "csv", pages: AsyncGenerator<LedgerRow[]>) {
  async function* chunks(): AsyncGenerator<string> {
    if (format === "csv") {
      yield csvHeader();
      for await (const rows of pages) yield rows.map(csvLine).join("");
      return;
    }
    // JSON Lines: one object per line, so a consumer reads it as it comes.
    for await (const rows of pages) yield rows.map((row) => `${JSON.stringify(rowView(row))}\n`).join("");
  }
  const type = format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
  return reply
    .type(type)
    .header("content-disposition", `attachment; filename="requests.${format === "csv" ? "csv" : "jsonl"}"`)
    .send(Readable.from(chunks()));
}

/** The row as the API shows it: snake_case, times as ISO 8601. */
const COLUMNS = [
  ["id", (row) => row.id],
  ["request_id", (row) => row.requestId],
  ["time", (row) => row.time.toISOString()],
  ["key_name", (row) => row.keyName],
  ["key_id", (row) => row.keyId],
  ["model_asked", (row) => row.modelAsked],
  ["model_served", (row) => row.modelServed],
  ["backend", (row) => row.backend],
  ["protocol", (row) => row.protocol],
  ["route", (row) => row.route],
  ["status", (row) => row.status],
  ["error_code", (row) => row.errorCode],
  ["attempts", (row) => row.attempts],
  ["latency_ms", (row) => row.latencyMs],
  ["ttfb_ms", (row) => row.ttfbMs],
  ["input_tokens", (row) => row.inputTokens],
  ["output_tokens", (row) => row.outputTokens],
  ["cached_tokens", (row) => row.cachedTokens],
  ["reasoning_tokens", (row) => row.reasoningTokens],
  ["cost_usd", (row) => row.costUsd],
  ["session_key", (row) => row.sessionKey],
  ["prompt_text", (row) => row.promptText],
  ["completion_text", (row) => row.completionText],
] as const satisfies readonly (readonly [string, (row: LedgerRow) => string | number | null])[];

function rowView(row: LedgerRow): Record<string, string | number | null> {
  return Object.fromEntries(COLUMNS.map(([name, read]) => [name, read(row)]));
}

function csvHeader(): string {
  return `${COLUMNS.map(([name]) => name).join(",")}\r\n`;
}

function csvLine(row: LedgerRow): string {
  return `${COLUMNS.map(([, read]) => csvField(read(row))).join(",")}\r\n`;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function usageView(row: UsageRow, groupBy: string): Record<string, string | number | null> {
  return {
    [groupBy]: row.group,
    bucket: row.bucket,
    requests: row.requests,
    errors: row.errors,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_tokens: row.cachedTokens,
    reasoning_tokens: row.reasoningTokens,
    cost_usd: row.costUsd,
  };
}
