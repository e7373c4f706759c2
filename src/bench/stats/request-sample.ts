/**
 * What the bench keeps of one finished request: the hand-off between the per-request observer and the
 * aggregates. Times are milliseconds; `endedAtMs` counts from the start of the measured window.
 * @module
 */
import type { ErrorKind } from "../load-types.js";

export interface RequestSample {
  model: string;
  /** The backend that served it (`x-routed-node`), or the target itself when no gateway says. */
  backend: string;
  endedAtMs: number;
  ok: boolean;
  /** Why it failed: the kind, and the HTTP status (kind `status`) or transport code. */
  error?: { kind: ErrorKind; status?: number; code?: string };
  /** From the scheduled send to the last byte. */
  latencyMs: number;
  /** From the scheduled send to the first output event; streams with output only. */
  ttftMs?: number;
  /** Gaps between consecutive output events. */
  interTokenMs: readonly number[];
  outputTokens: number;
}
