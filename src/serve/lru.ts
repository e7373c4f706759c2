/**
 * A small least-recently-used map: compiled JSON-schema validators and grammars are cached by schema
 * text, so a client that sends the same schema on every request pays for compiling it once, and a client
 * that sends a new one every time cannot grow memory without bound.
 * @module
 */
export class LruCache<K, V> {
  readonly #capacity: number;
  readonly #entries = new Map<K, V>();
  readonly #onEvict: ((value: V) => void) | undefined;

  constructor(capacity: number, onEvict?: (value: V) => void) {
    if (capacity < 1) throw new RangeError("capacity must be at least 1");
    this.#capacity = capacity;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, marked as most recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value`, evicting the least recently used entry beyond capacity. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size <= this.#capacity) return;
    const oldest = this.#entries.keys().next();
    if (oldest.done) return;
    const evicted = this.#entries.get(oldest.value);
    this.#entries.delete(oldest.value);
    if (evicted !== undefined) this.#onEvict?.(evicted);
  }
}
