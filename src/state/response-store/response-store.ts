/**
 * The `ResponseStore`: where the gateway keeps the responses of `POST /v1/responses` requests made
 * with `store: true`, so a later request's `previous_response_id` continues the conversation and
 * `GET`/`DELETE /v1/responses/{id}` find them. `memory.ts` is the single-process default, `redis.ts`
 * shares one store between replicas, and `ipc-client.ts` shares a `--workers` primary's memory
 * store with its workers; all pass `test/state/response-store/conformance.ts`.
 *
 * Each entry holds the whole conversation that produced its response (earlier turns' input and
 * output items, then this request's input), not a link to its parent plus its own items:
 * - Correct under eviction: evicting oldest first removes ancestors before descendants, which
 *   would break every chain built on links; a snapshot never depends on another entry.
 * - Immutable by construction: a put never changes another entry, so branching from an earlier
 *   response cannot see later turns, and no read can observe a half-written chain.
 * - One read, one round trip to Redis; no walk whose length grows with the conversation.
 * - Bounded: the price is bytes (a chain of n turns stores its prefix n times), capped per entry
 *   by `maxEntryBytes` (a longer conversation is answered but not stored: `too_large`) and in
 *   total by `maxBytes`, so the store's size never depends on how long conversations get.
 * @module
 */

/** One stored response. Stores copy it in and out: no caller shares an object with the store. */
export interface StoredResponse {
  /** The response's id (`resp_…`), the key of the entry. */
  readonly id: string;
  /** The Response object as the client got it. */
  readonly response: Record<string, unknown>;
  /**
   * The whole conversation that produced the response, oldest first: earlier turns' input and
   * output items, then this request's input items. Every item carries an `id`.
   */
  readonly input: readonly unknown[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** The backend that answered, for a chain that must go back to the engine holding its state. */
  readonly backendId?: string;
}

/** `too_large`: the entry alone is over the per-entry or the total byte limit; nothing was stored. */
export type PutResult = "stored" | "too_large";

/** How much a store holds, for `/status` and `/stats`. */
export interface ResponseStoreStats {
  readonly entries: number;
  /** Serialized (UTF-8 JSON) bytes of the entries. */
  readonly bytes: number;
}

/** The bounds every store keeps; the oldest entries go first when a put needs room. */
export interface ResponseStoreLimits {
  /** Most entries held at once. */
  readonly maxEntries: number;
  /** Most serialized bytes held at once, all entries together. */
  readonly maxBytes: number;
  /** Largest serialized entry stored; a larger one is refused (`too_large`). */
  readonly maxEntryBytes: number;
  /** How long an entry lives after its put, in milliseconds. */
  readonly ttlMs: number;
}

/**
 * Contract for every implementation:
 * - Entries are snapshots: what `get` returns is a fresh copy, and mutating it or the object given
 *   to `put` changes nothing stored.
 * - An entry is gone after `ttlMs`, after `delete`, or when evicted to make room (oldest first).
 * - A store that cannot reach its backing service rejects with {@link ResponseStoreUnavailableError}
 *   rather than pretending an entry does not exist.
 */
export interface ResponseStore {
  readonly kind: "memory" | "redis" | "ipc";
  get(id: string): Promise<StoredResponse | undefined>;
  put(entry: StoredResponse): Promise<PutResult>;
  /** Resolves true when there was an entry to delete. */
  delete(id: string): Promise<boolean>;
  stats(): Promise<ResponseStoreStats>;
  close(): Promise<void>;
}

/** The store's backing service did not answer; the route answers 503. */
export class ResponseStoreUnavailableError extends Error {
  override readonly name = "ResponseStoreUnavailableError";
  readonly code = "SWY_STATE_RESPONSE_STORE_UNAVAILABLE";
}

/** The items a follow-up request (`previous_response_id: entry.id`) continues from. */
export function conversationOf(entry: StoredResponse): unknown[] {
  const output = entry.response.output;
  return [...entry.input, ...(Array.isArray(output) ? output : [])];
}
