/**
 * One request as the ledger keeps it: who asked (a key's name and id, never its secret), what for,
 * who answered, how it went and what it used. Prompt and completion text only when
 * `ledger_keep_text` is on.
 * @module
 */

export interface LedgerRow {
  /** A UUID of the row's own: a client's `x-request-id` may repeat, a row id never does. */
  id: string;
  requestId: string;
  time: Date;
  keyName: string | null;
  keyId: string | null;
  /** The model the client named. */
  modelAsked: string | null;
  /** The model the backend was asked for (alias and sentinel resolved); null when none was. */
  modelServed: string | null;
  backend: string | null;
  /** The client's protocol: openai, anthropic or responses. */
  protocol: string;
  /** The endpoint's name (chat, messages, responses, …). */
  route: string;
  status: number;
  /** The error code the client saw (`model_not_found`, …) for an answer the gateway made; null for a backend's own. */
  errorCode: string | null;
  attempts: number;
  latencyMs: number;
  ttfbMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedTokens: number | null;
  reasoningTokens: number | null;
  /** USD: the usage priced (0 for an unpriced model); null when the answer reported no usage. */
  costUsd: number | null;
  sessionKey: string | null;
  /** Kept only with `ledger_keep_text`. */
  promptText: string | null;
  completionText: string | null;
}
