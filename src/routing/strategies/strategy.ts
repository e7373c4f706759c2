/**
 * The one interface every load-balancing strategy implements, and the types it speaks in. The
 * factory (`factory.ts`) maps names to implementations; each implementation has its own file.
 * @module
 */
import type { BackendView } from "../backend.js";

/** What a strategy may know about the request it routes. Never the HTTP request itself. */
export interface RoutingRequest {
  readonly model: string;
  /** A stable key for session affinity: `user`, a session header or the client's key. */
  readonly sessionKey?: string | undefined;
  /** The start of the prompt, for cache-aware routing. */
  readonly promptPrefix?: string | undefined;
  /**
   * Chained hashes of the whole prompt's full blocks of `blockChars` characters (protocol/prompt-blocks.ts),
   * for prefix-aware routing. A function, so the prompt is hashed only for a strategy that asks,
   * and once per request however often it asks.
   */
  readonly promptBlocks?: ((blockChars: number) => readonly number[]) | undefined;
}

export type Outcome = "success" | "failure";

/**
 * Chooses one backend among candidates that are already filtered (they serve the model, are
 * healthy, have a closed circuit and are under their cap). `pick` is synchronous and cheap; a
 * strategy keeps only its own small state (a cursor, EWMAs, a ring). It reads candidates through
 * {@link BackendView} and hands back one of them, typed as the caller's candidates are.
 */
export interface Strategy {
  readonly name: string;
  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined;
  /** Told after each attempt; optional. */
  onResult?(backendId: string, outcome: Outcome, latencyMs: number): void;
  /** Told when a backend is removed, so per-backend state can be dropped; optional. */
  forget?(backendId: string): void;
}
