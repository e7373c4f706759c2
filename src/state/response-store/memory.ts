/**
 * The in-process {@link ResponseStore}: entries as JSON text in a `Map`, whose insertion order is
 * the order of eviction. Every entry lives the same TTL from its put, so the oldest put is also
 * the first to expire, and both expiry and eviction only ever look at the front of the map.
 * @module
 */
import type { Clock } from "../store.js";
import { decodeEntry, encodeEntry } from "./entry-json.js";
import type {
  PutResult,
  ResponseStore,
  ResponseStoreLimits,
  ResponseStoreStats,
  StoredResponse,
} from "./response-store.js";

interface Slot {
  readonly json: string;
  readonly bytes: number;
  readonly expiresAt: number;
}

export interface MemoryResponseStoreOptions extends ResponseStoreLimits {
  /** Defaults to `Date.now`; tests move expiry forward without sleeping. */
  now?: Clock;
}

export class MemoryResponseStore implements ResponseStore {
  readonly kind = "memory";
  readonly #limits: ResponseStoreLimits;
  readonly #now: Clock;
  readonly #slots = new Map<string, Slot>();
  #bytes = 0;

  constructor(options: MemoryResponseStoreOptions) {
    this.#limits = options;
    this.#now = options.now ?? Date.now;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const slot = this.#slots.get(id);
    if (!slot) return undefined;
    if (slot.expiresAt <= this.#now()) {
      this.#drop(id, slot);
      return undefined;
    }
    return decodeEntry(slot.json);
  }

  async put(entry: StoredResponse): Promise<PutResult> {
    const { json, bytes } = encodeEntry(entry);
    const { maxEntries, maxBytes, maxEntryBytes, ttlMs } = this.#limits;
    if (bytes > maxEntryBytes || bytes > maxBytes) return "too_large";
    const now = this.#now();
    const previous = this.#slots.get(entry.id);
    if (previous) this.#drop(entry.id, previous);
    this.#sweep(now);
    while (this.#slots.size >= maxEntries || this.#bytes + bytes > maxBytes) {
      if (!this.#dropOldest()) break;
    }
    this.#slots.set(entry.id, { json, bytes, expiresAt: now + ttlMs });
    this.#bytes += bytes;
    return "stored";
  }

  async delete(id: string): Promise<boolean> {
    const slot = this.#slots.get(id);
    if (!slot) return false;
    this.#drop(id, slot);
    return slot.expiresAt > this.#now();
  }

  async stats(): Promise<ResponseStoreStats> {
    this.#sweep(this.#now());
    return { entries: this.#slots.size, bytes: this.#bytes };
  }

  async close(): Promise<void> {
    this.#slots.clear();
    this.#bytes = 0;
  }

  /** Drops expired entries, all of which sit at the front (see the module comment). */
  #sweep(now: number): void {
    for (const [id, slot] of this.#slots) {
      if (slot.expiresAt > now) return;
      this.#drop(id, slot);
    }
  }

  #dropOldest(): boolean {
    const oldest = this.#slots.entries().next();
    if (oldest.done) return false;
    this.#drop(oldest.value[0], oldest.value[1]);
    return true;
  }

  #drop(id: string, slot: Slot): void {
    this.#slots.delete(id);
    this.#bytes -= slot.bytes;
  }
}
