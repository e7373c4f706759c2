/**
 * The values a `StateStore` (store.ts) holds and announces: a circuit as of one read, and what it knows
 * about an upstream key. A leaf, so `store.ts` and `events.ts` can both name them.
 * @module
 */
/** A circuit's state as of the moment it was read. Spelled like the metrics label values. */
export type CircuitState = "closed" | "open" | "half_open";

/**
 * A circuit as of one read. `openedUntil` is when an open circuit turns half-open (0 when it has
 * never opened or was closed by a success); `state` was computed from it at read time, so a holder
 * of an old snapshot recomputes it with `circuitStateAt` (circuit-snapshot.ts) instead of trusting
 * `state`.
 */
export interface CircuitSnapshot {
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  readonly openedUntil: number;
}

/** What the store knows about one upstream API key (named by fingerprint, never by value). */
export interface KeyState {
  /** When the key may be used again; 0 when it is not cooling down. */
  readonly coolingDownUntil: number;
  /** Set once the key was taken out of rotation (401/403); such a key never comes back by itself. */
  readonly disabledReason?: string;
}
