/**
 * The ledger's schema as numbered SQL migrations, applied in order at start and recorded in
 * `ledger_migrations`. Kept in TypeScript rather than .sql files so the build carries them without
 * a copy step; a released migration is never edited, only followed by a new one.
 * @module
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "requests",
    sql: `
CREATE TABLE ledger_requests (
  id uuid PRIMARY KEY,
  request_id text NOT NULL,
  time timestamptz NOT NULL,
  key_name text,
  key_id text,
  model_asked text,
  model_served text,
  backend text,
  protocol text NOT NULL,
  route text NOT NULL,
  status integer NOT NULL,
  error_code text,
  attempts integer NOT NULL,
  latency_ms double precision NOT NULL,
  ttfb_ms double precision,
  input_tokens integer,
  output_tokens integer,
  cached_tokens integer,
  reasoning_tokens integer,
  cost_usd numeric(20, 10),
  session_key text,
  prompt_text text,
  completion_text text
);
CREATE INDEX ledger_requests_time_idx ON ledger_requests (time, id);
CREATE INDEX ledger_requests_key_time_idx ON ledger_requests (key_name, time);
CREATE INDEX ledger_requests_model_time_idx ON ledger_requests (model_served, time);
CREATE INDEX ledger_requests_backend_time_idx ON ledger_requests (backend, time);
`,
  },
];
