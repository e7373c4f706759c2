/**
 * The changes a {@link StateStore} announces to its subscribers, and the listener set that
 * delivers them. Every event carries the whole new value, never a delta, so delivering one twice
 * (which a replicated store may do after a reconnect) changes nothing.
 * @module
 */
import type { CircuitSnapshot, KeyState } from "./values.js";

/** A registration was stored (or stored again) under `id`. */
export interface RegistrationPut {
  readonly type: "put";
  readonly id: string;
  readonly record: unknown;
}

export interface RegistrationDelete {
  readonly type: "delete";
  readonly id: string;
  readonly record?: undefined;
}

/**
 * A circuit changed: a failure was counted (which may have opened or reopened it) or a success
 * closed it or reset its count. A success that changes nothing is not announced.
 */
export interface CircuitChange {
  readonly type: "circuit";
  readonly backendId: string;
  readonly snapshot: CircuitSnapshot;
}

export interface HealthChange {
  readonly type: "health";
  readonly backendId: string;
  readonly healthy: boolean;
}

export interface KeyChange {
  readonly type: "key";
  readonly fingerprint: string;
  readonly state: KeyState;
}

export type RegistrationEvent = RegistrationPut | RegistrationDelete;
export type StateEvent = RegistrationEvent | CircuitChange | HealthChange | KeyChange;
export type StateListener = (event: StateEvent) => void;

/**
 * Listeners of one store. A listener that throws does not stop the others nor the store's
 * write; its error goes to `onError`.
 */
export class ListenerSet {
  readonly #listeners = new Set<StateListener>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  add(listener: StateListener): () => void {
    // A wrapper per subscription, so subscribing the same function twice yields two deliveries
    // and each unsubscribe removes exactly its own.
    const entry: StateListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(event: StateEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/** What a store does with an error it cannot return to anyone: a process warning by default. */
export function warnOnError(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : String(error), { code: "SWY_STATE" });
}
