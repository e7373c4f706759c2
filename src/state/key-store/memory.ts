/**
 * Runtime keys of one process, and the view the Redis store keeps of the shared ones.
 * @module
 */
import type { KeyStore, StoredKey } from "./key-store.js";

export class MemoryKeyStore implements KeyStore {
  readonly kind = "memory";
  readonly #byId = new Map<string, StoredKey>();
  readonly #idByDigest = new Map<string, string>();
  #enabled = false;

  get size(): number {
    return this.#byId.size;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Marks keys as in use (a replica that learns another made one). Never undone. */
  enable(): void {
    this.#enabled = true;
  }

  list(): StoredKey[] {
    return [...this.#byId.values()];
  }

  get(id: string): StoredKey | undefined {
    return this.#byId.get(id);
  }

  findByDigest(digest: string): StoredKey | undefined {
    const id = this.#idByDigest.get(digest.toLowerCase());
    return id === undefined ? undefined : this.#byId.get(id);
  }

  async put(key: StoredKey): Promise<void> {
    this.set(key);
  }

  async delete(id: string): Promise<boolean> {
    return this.remove(id);
  }

  async close(): Promise<void> {}

  /** {@link put} without the promise, for the Redis store's view. */
  set(key: StoredKey): void {
    this.#enabled = true;
    this.remove(key.id);
    this.#byId.set(key.id, key);
    this.#idByDigest.set(key.key_sha256.toLowerCase(), key.id);
  }

  remove(id: string): boolean {
    const old = this.#byId.get(id);
    if (!old) return false;
    this.#byId.delete(id);
    this.#idByDigest.delete(old.key_sha256.toLowerCase());
    return true;
  }

  /** Replaces the whole view (a reload after a reconnection). */
  replaceAll(keys: readonly StoredKey[]): void {
    this.#byId.clear();
    this.#idByDigest.clear();
    for (const key of keys) this.set(key);
  }
}
