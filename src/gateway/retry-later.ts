/**
 * Backends that answered 429 or 503 with a `Retry-After`: until that time has passed, the pipeline
 * passes them by instead of sending them requests they said they would refuse. Local to this
 * replica and short-lived; a backend with a key pool is left out, as its pool already cools each
 * key down on its own `Retry-After`.
 * @module
 */
// From perf_hooks, not the global: `globalThis.performance` is a getter, a call on every use.
import { performance } from "node:perf_hooks";
import type { BackendState } from "../routing/backend.js";

export interface NotBefore {
  /** `performance.now()` time before which the backend should not be asked again. */
  until: number;
  status: 429 | 503;
}

const notBefore = new WeakMap<BackendState, NotBefore>();

export function retryLater(
  backend: BackendState,
  status: 429 | 503,
  ms: number,
  now = performance.now(),
): void {
  if (ms <= 0) return;
  notBefore.set(backend, { until: now + ms, status });
}

/** The backend's "not before", while it lasts. */
export function waitingFor(backend: BackendState, now = performance.now()): NotBefore | undefined {
  const entry = notBefore.get(backend);
  if (entry === undefined) return undefined;
  if (entry.until > now) return entry;
  notBefore.delete(backend);
  return undefined;
}
