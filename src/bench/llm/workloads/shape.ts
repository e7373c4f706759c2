/**
 * Workloads with the structure real traffic has (`--workload`): what one request of such a workload
 * is before it is rendered in a protocol, and the names a run can choose. Each shape draws from the
 * run's seeded random source and keeps its own state (open sessions), so it must be asked for its
 * requests in index order; the same seed gives the same requests.
 * @module
 */
import type { ChatMessage, ToolDefinition } from "../request-body.js";

/** The names `--workload` takes; `synthetic` is the plain one (`--prompt-tokens`, `--prompts`). */
export const WORKLOAD_NAMES = ["synthetic", "agent-sessions", "chat", "hot-prefix"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** One request of a shaped workload. */
export interface ShapedPrompt {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** Output length asked for, before the run's `--max-tokens` cap. */
  outputTokens: number;
  /** The conversation it belongs to, sent as `x-session-id` (what agents send to keep affinity). */
  session?: string;
}

/** A shaped workload: successive requests, in index order. */
export interface PromptShape {
  next(): ShapedPrompt;
  /**
   * The next request of closed-loop worker `worker`, for shapes whose requests belong to someone
   * (a session): each worker then carries on its own conversation. Without it, workers share `next()`.
   */
  nextFor?(worker: number): ShapedPrompt;
}

/** A whole number drawn uniformly from [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.min(max - min, Math.floor(random() * (max - min + 1)));
}
