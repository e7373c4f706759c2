/**
 * Secrets sealed for storage in shared state (API keys in runtime registrations kept in Redis):
 * AES-256-GCM under a key derived from the operator's `state_secret` with scrypt (a fixed salt, so
 * every replica with the same secret derives the same key; scrypt, so a passphrase-like secret is
 * still costly to guess), a random 96-bit IV per value, and an optional context bound as
 * associated data, so a sealed value copied into another record does not open there.
 * Sealed text: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";

const VERSION = "v1";
const SALT = "switchyard:state-secret:v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that does not open: tampered with, malformed, or sealed under another secret. */
export class SealedSecretError extends Error {
  override name = "SealedSecretError";
}

/** Seals and opens values under one secret. The key is derived once, when the sealer is made. */
export class SecretSealer {
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length === 0) throw new RangeError("the state secret must not be empty");
    this.#key = scryptSync(secret, SALT, 32);
  }

  /** A fresh sealed text for `plaintext`: sealing the same value twice gives different texts. */
  seal(plaintext: string, context = ""): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  /** The plaintext of `sealed`; throws {@link SealedSecretError} when it does not open under this secret and `context`. */
  open(sealed: string, context = ""): string {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SealedSecretError("not a sealed value");
    const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, "base64url")) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealedSecretError("not a sealed value");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
    } catch {
      throw new SealedSecretError("the sealed value does not open (wrong secret or altered)");
    }
  }
}
