/**
 * Client keys made at run time (the admin API's `/admin/keys`), as records: any JSON object with
 * an `id` and the SHA-256 of its secret, never the secret. Every replica answers lookups from its
 * own view of them, synchronously; with Redis the view follows every change made on any replica
 * through pub/sub, and a digest it does not know yet is looked up in Redis, so a key made on one
 * replica works on every replica at once.
 * @module
 */

export interface StoredKey {
  readonly id: string;
  /** Hex SHA-256 of the secret. */
  readonly key_sha256: string;
  readonly [field: string]: unknown;
}

/** A change could not be stored: the shared store did not answer. */
export class KeyStoreUnavailableError extends Error {
  override readonly name = "KeyStoreUnavailableError";
}

export interface KeyStore {
  readonly kind: string;
  /** Keys in this replica's view. */
  readonly size: number;
  /**
   * Whether a key was ever made (by any replica): from then on the gateway requires a key on
   * every request, even once the last one is revoked, so revoking never opens the gateway.
   */
  readonly enabled: boolean;
  list(): StoredKey[];
  get(id: string): StoredKey | undefined;
  /**
   * The key with this digest: at once from the view, else (Redis) from the shared store, for a key
   * made elsewhere a moment ago. Never rejects: an unreachable store finds nothing.
   */
  findByDigest(digest: string): StoredKey | undefined | Promise<StoredKey | undefined>;
  /** Creates or replaces `key.id`'s record (its old digest stops working). */
  put(key: StoredKey): Promise<void>;
  /** Resolves false when no key has that id. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}
