/**
 * The in-process {@link StateStore}: the default for a single gateway, and the local view a
 * Redis-backed store falls back to during an outage. Everything is a map lookup; nothing does I/O.
 * @module
 */
import { CLOSED_CIRCUIT, circuitSnapshot, openedUntilAfterFailure } from "./circuit-snapshot.js";
import { ListenerSet, type StateEvent, type StateListener, warnOnError } from "./events.js";
import { leaseIdSource } from "./lease-id.js";
import { LeaseTable } from "./lease-table.js";
import type {
  CircuitSnapshot,
  Clock,
  KeyState,
  Lease,
  StateStore,
  StoreStatus,
  WindowResult,
} from "./store.js";

export interface MemoryStoreOptions {
  /** Default `Date.now`; tests drive their own. */
  now?: Clock;
  /** Receives errors thrown by subscribers. */
  onError?: (error: unknown) => void;
}

interface CircuitEntry {
  failures: number;
  openedUntil: number;
  openMs: number;
  /** The half-open period (its `openedUntil`) whose probe is reserved, and until when. */
  probePeriod: number;
  probeUntil: number;
}

interface KeyEntry {
  until: number;
  disabledReason?: string;
}

interface WindowEntry {
  start: number;
  end: number;
  total: number;
}

/** How long a probe reservation lasts when the circuit's open time is unknown (restored). */
const DEFAULT_PROBE_LAPSE_MS = 10_000;

/** Window counters kept before expired ones are swept out. */
const WINDOW_SWEEP_SIZE = 10_000;

class MemoryLease implements Lease {
  readonly backendId: string;
  readonly id: string;
  readonly inflight: number;
  readonly #table: LeaseTable;
  readonly #ttlMs: number;
  readonly #now: Clock;
  #released = false;

  constructor(table: LeaseTable, backendId: string, id: string, inflight: number, ttlMs: number, now: Clock) {
    this.#table = table;
    this.backendId = backendId;
    this.id = id;
    this.inflight = inflight;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      this.#table.drop(this.backendId, this.id);
    }
    return Promise.resolve();
  }

  renew(ttlMs = this.#ttlMs): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    return Promise.resolve(this.#table.renew(this.backendId, this.id, ttlMs, this.#now()));
  }
}

/**
 * The single-process store. Exact by construction (one event loop), announces changes to its
 * subscribers synchronously, before the call that made them resolves.
 */
export class MemoryStore implements StateStore {
  readonly kind = "memory";
  readonly #now: Clock;
  readonly #listeners: ListenerSet;
  readonly #leases = new LeaseTable();
  readonly #nextLeaseId = leaseIdSource();
  readonly #circuits = new Map<string, CircuitEntry>();
  readonly #health = new Map<string, boolean>();
  readonly #keys = new Map<string, KeyEntry>();
  readonly #windows = new Map<string, WindowEntry>();
  /** Stored as JSON text so every reader gets its own copy, as from Redis. */
  readonly #registrations = new Map<string, string>();

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#listeners = new ListenerSet(options.onError ?? warnOnError);
  }

  acquire(backendId: string, max: number, ttlMs: number): Promise<Lease | undefined> {
    return Promise.resolve(this.acquireNow(backendId, max, ttlMs));
  }

  /** {@link acquire} without the promise, for a caller that composes this store. */
  acquireNow(backendId: string, max: number, ttlMs: number): Lease | undefined {
    const id = this.#nextLeaseId();
    const inflight = this.#leases.take(backendId, id, max, ttlMs, this.#now());
    if (inflight === 0) return undefined;
    return new MemoryLease(this.#leases, backendId, id, inflight, ttlMs, this.#now);
  }

  inflight(backendId: string): Promise<number> {
    return Promise.resolve(this.#leases.count(backendId, this.#now()));
  }

  recordFailure(backendId: string, threshold: number, openMs: number): Promise<CircuitSnapshot> {
    const now = this.#now();
    const entry = this.#circuit(backendId);
    entry.openMs = openMs;
    const failures = entry.failures + 1;
    const openedUntil = openedUntilAfterFailure(failures, entry.openedUntil, threshold, openMs, now);
    return Promise.resolve(this.#settle(backendId, entry, failures, openedUntil, now));
  }

  recordSuccess(backendId: string): Promise<CircuitSnapshot> {
    const entry = this.#circuits.get(backendId);
    if (!entry) return Promise.resolve(CLOSED_CIRCUIT);
    return Promise.resolve(this.#settle(backendId, entry, 0, 0, this.#now()));
  }

  circuit(backendId: string): Promise<CircuitSnapshot> {
    const entry = this.#circuits.get(backendId);
    if (!entry) return Promise.resolve(CLOSED_CIRCUIT);
    return Promise.resolve(circuitSnapshot(entry.failures, entry.openedUntil, this.#now()));
  }

  tryProbe(backendId: string): Promise<boolean> {
    const entry = this.#circuits.get(backendId);
    const now = this.#now();
    if (!entry || entry.openedUntil === 0 || now < entry.openedUntil) return Promise.resolve(false);
    if (entry.probePeriod === entry.openedUntil && now < entry.probeUntil) return Promise.resolve(false);
    entry.probePeriod = entry.openedUntil;
    entry.probeUntil = now + (entry.openMs > 0 ? entry.openMs : DEFAULT_PROBE_LAPSE_MS);
    return Promise.resolve(true);
  }

  /**
   * Overwrites a circuit with a snapshot read elsewhere (the Redis store keeps its local view
   * current this way) and announces it when that changed it. `openMs` is how long a probe
   * reservation lasts here, when known.
   */
  restoreCircuit(backendId: string, snapshot: CircuitSnapshot, openMs?: number): void {
    const entry = this.#circuit(backendId);
    if (openMs !== undefined) entry.openMs = openMs;
    this.#settle(backendId, entry, snapshot.consecutiveFailures, snapshot.openedUntil, this.#now());
  }

  setHealth(backendId: string, healthy: boolean): Promise<void> {
    const previous = this.#health.get(backendId);
    this.#health.set(backendId, healthy);
    if (previous !== healthy) this.#listeners.emit({ type: "health", backendId, healthy });
    return Promise.resolve();
  }

  health(backendId: string): Promise<boolean | undefined> {
    return Promise.resolve(this.#health.get(backendId));
  }

  coolDownKey(fingerprint: string, untilMs: number): Promise<void> {
    const entry = this.#keys.get(fingerprint) ?? { until: 0 };
    if (untilMs > entry.until) {
      entry.until = untilMs;
      this.#keys.set(fingerprint, entry);
      this.#listeners.emit({ type: "key", fingerprint, state: this.#keyState(entry) });
    }
    return Promise.resolve();
  }

  disableKey(fingerprint: string, reason: string): Promise<void> {
    const entry = this.#keys.get(fingerprint) ?? { until: 0 };
    if (entry.disabledReason === reason) return Promise.resolve();
    entry.disabledReason = reason;
    this.#keys.set(fingerprint, entry);
    this.#listeners.emit({ type: "key", fingerprint, state: this.#keyState(entry) });
    return Promise.resolve();
  }

  /**
   * Brings a change announced elsewhere (another replica, the `--workers` primary) into this view,
   * which announces it to its own subscribers when it changed something: how the shared stores
   * keep their local view current.
   */
  mirror(event: StateEvent): void {
    switch (event.type) {
      case "put":
        void this.putRegistration(event.id, event.record);
        return;
      case "delete":
        void this.deleteRegistration(event.id);
        return;
      case "circuit":
        this.restoreCircuit(event.backendId, event.snapshot);
        return;
      case "health":
        void this.setHealth(event.backendId, event.healthy);
        return;
      case "key":
        this.restoreKeyState(event.fingerprint, event.state);
        return;
    }
  }

  /** Brings a key state read elsewhere into this view. */
  restoreKeyState(fingerprint: string, state: KeyState): void {
    if (state.coolingDownUntil > 0) void this.coolDownKey(fingerprint, state.coolingDownUntil);
    if (state.disabledReason !== undefined) void this.disableKey(fingerprint, state.disabledReason);
  }

  keyStates(fingerprints: readonly string[]): Promise<Map<string, KeyState>> {
    const states = new Map<string, KeyState>();
    for (const fingerprint of fingerprints) {
      const entry = this.#keys.get(fingerprint);
      states.set(fingerprint, entry ? this.#keyState(entry) : { coolingDownUntil: 0 });
    }
    return Promise.resolve(states);
  }

  addToWindow(key: string, windowMs: number, amount: number, limit: number): Promise<WindowResult> {
    const now = this.#now();
    const start = now - (now % windowMs);
    if (this.#windows.size >= WINDOW_SWEEP_SIZE) this.#sweepWindows(now);
    let entry = this.#windows.get(key);
    if (!entry || entry.start !== start) {
      entry = { start, end: start + windowMs, total: 0 };
      this.#windows.set(key, entry);
    }
    const allowed = limit <= 0 || entry.total + amount <= limit;
    if (allowed) entry.total += amount;
    return Promise.resolve({ allowed, total: entry.total, resetMs: entry.end - now });
  }

  putRegistration(id: string, record: unknown): Promise<void> {
    const json = JSON.stringify(record) ?? "null";
    this.#registrations.set(id, json);
    this.#listeners.emit({ type: "put", id, record: JSON.parse(json) });
    return Promise.resolve();
  }

  deleteRegistration(id: string): Promise<void> {
    if (this.#registrations.delete(id)) this.#listeners.emit({ type: "delete", id });
    return Promise.resolve();
  }

  registrations(): Promise<Map<string, unknown>> {
    const records = new Map<string, unknown>();
    for (const [id, json] of this.#registrations) records.set(id, JSON.parse(json));
    return Promise.resolve(records);
  }

  subscribe(listener: StateListener): () => void {
    return this.#listeners.add(listener);
  }

  status(): StoreStatus {
    return "ok";
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return Promise.resolve();
  }

  #circuit(backendId: string): CircuitEntry {
    let entry = this.#circuits.get(backendId);
    if (!entry) {
      entry = { failures: 0, openedUntil: 0, openMs: 0, probePeriod: 0, probeUntil: 0 };
      this.#circuits.set(backendId, entry);
    }
    return entry;
  }

  /** Applies the new count and `openedUntil`, and announces the circuit when either changed. */
  #settle(
    backendId: string,
    entry: CircuitEntry,
    failures: number,
    openedUntil: number,
    now: number,
  ): CircuitSnapshot {
    const changed = failures !== entry.failures || openedUntil !== entry.openedUntil;
    entry.failures = failures;
    entry.openedUntil = openedUntil;
    const snapshot = circuitSnapshot(failures, openedUntil, now);
    if (changed) this.#listeners.emit({ type: "circuit", backendId, snapshot });
    return snapshot;
  }

  #keyState(entry: KeyEntry): KeyState {
    const coolingDownUntil = entry.until > this.#now() ? entry.until : 0;
    return entry.disabledReason === undefined
      ? { coolingDownUntil }
      : { coolingDownUntil, disabledReason: entry.disabledReason };
  }

  #sweepWindows(now: number): void {
    for (const [key, entry] of this.#windows) if (entry.end <= now) this.#windows.delete(key);
  }
}
