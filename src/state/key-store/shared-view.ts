/**
 * A key store shared between processes (Redis, or a `--workers` primary) as each process sees it:
 * a local view of every key that answers lookups at once, kept current by the subclass from the
 * shared copy. What is left to the subclass is how a change is made and how an unknown digest is
 * looked up in the shared copy.
 * @module
 */
import type { KeyStore, StoredKey } from "./key-store.js";
import { MemoryKeyStore } from "./memory.js";

export abstract class SharedKeyView implements KeyStore {
  abstract readonly kind: string;
  protected readonly view = new MemoryKeyStore();

  get size(): number {
    return this.view.size;
  }

  get enabled(): boolean {
    return this.view.enabled;
  }

  list(): StoredKey[] {
    return this.view.list();
  }

  get(id: string): StoredKey | undefined {
    return this.view.get(id);
  }

  /** From the view at once; otherwise from the shared copy, for a key made elsewhere a moment ago. */
  findByDigest(digest: string): StoredKey | undefined | Promise<StoredKey | undefined> {
    return this.view.findByDigest(digest) ?? this.findShared(digest.toLowerCase());
  }

  /** The key with this (lower-case) digest in the shared copy; never rejects. */
  protected abstract findShared(digest: string): Promise<StoredKey | undefined>;
  abstract put(key: StoredKey): Promise<void>;
  abstract delete(id: string): Promise<boolean>;
  abstract close(): Promise<void>;
}
