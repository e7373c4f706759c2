/**
 * The ledger's tables as drizzle sees them, for typed inserts and queries. The SQL that creates
 * them is in migrations.ts, the insert's columns in insert.ts; test/ledger/database.test.ts keeps
 * the three in step.
 * @module
 */
import {
  doublePrecision,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

export const ledgerRequests = pgTable(
  "ledger_requests",
  {
    id: uuid("id").primaryKey(),
    requestId: text("request_id").notNull(),
    time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
    keyName: text("key_name"),
    keyId: text("key_id"),
    modelAsked: text("model_asked"),
    modelServed: text("model_served"),
    backend: text("backend"),
    protocol: text("protocol").notNull(),
    route: text("route").notNull(),
    status: integer("status").notNull(),
    errorCode: text("error_code"),
    attempts: integer("attempts").notNull(),
    latencyMs: doublePrecision("latency_ms").notNull(),
    ttfbMs: doublePrecision("ttfb_ms"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    cachedTokens: integer("cached_tokens"),
    reasoningTokens: integer("reasoning_tokens"),
    costUsd: numeric("cost_usd", { precision: 20, scale: 10, mode: "number" }),
    sessionKey: text("session_key"),
    promptText: text("prompt_text"),
    completionText: text("completion_text"),
  },
  (table) => [
    index("ledger_requests_time_idx").on(table.time, table.id),
    index("ledger_requests_key_time_idx").on(table.keyName, table.time),
    index("ledger_requests_model_time_idx").on(table.modelServed, table.time),
    index("ledger_requests_backend_time_idx").on(table.backend, table.time),
  ],
);
