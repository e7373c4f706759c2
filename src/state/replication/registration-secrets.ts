/**
 * API keys in runtime registrations that are shared through Redis never reach it in clear: the
 * stored record carries them sealed (state/sealed-secrets.ts) under `state_secret`, bound to the
 * registration's id, in place of `api_keys`. Without a secret such a registration is refused; one
 * without keys is stored as it is. Single-process gateways (no Redis) store records unchanged.
 * Built once at start from the start-up config: a secret changed by a reload waits for a restart.
 * @module
 */
import { SecretSealer } from "../sealed-secrets.js";
import type { SealedRegistration } from "./replication.js";

/** The field of a stored registration that holds its sealed `api_keys`. */
export const SEALED_KEYS_FIELD = "sealed_api_keys";

export type OpenedRegistration = { ok: true; record: unknown } | { ok: false; reason: string };

export class RegistrationSecrets {
  readonly #sealer: SecretSealer | undefined;
  readonly #sealing: boolean;

  /** `sealing`: registrations go to Redis, so keys must be sealed. */
  constructor(secret: string | undefined, sealing: boolean) {
    this.#sealer = secret ? new SecretSealer(secret) : undefined;
    this.#sealing = sealing;
  }

  /** The record to store for a registration; a reason when its keys would be stored in clear. */
  toStored(id: string, config: { api_keys: readonly string[] }): SealedRegistration {
    if (!this.#sealing || config.api_keys.length === 0) return { ok: true, stored: config };
    if (!this.#sealer) {
      return {
        ok: false,
        reason:
          "This gateway shares registrations through Redis and has no state secret, so it will not store api_keys: set SWITCHYARD_STATE_SECRET (the same on every replica) or register without api_keys.",
      };
    }
    const { api_keys: keys, ...rest } = config;
    return {
      ok: true,
      stored: { ...rest, [SEALED_KEYS_FIELD]: this.#sealer.seal(JSON.stringify(keys), context(id)) },
    };
  }

  /** A stored record as a backend config candidate, its keys opened; a reason when they do not open. */
  fromStored(id: string, record: unknown): OpenedRegistration {
    if (typeof record !== "object" || record === null || !(SEALED_KEYS_FIELD in record)) {
      return { ok: true, record };
    }
    const { [SEALED_KEYS_FIELD]: sealed, ...rest } = record as Record<string, unknown>;
    if (!this.#sealer)
      return { ok: false, reason: "its api_keys are sealed and this replica has no state secret" };
    try {
      const keys: unknown = JSON.parse(this.#sealer.open(String(sealed), context(id)));
      return { ok: true, record: { ...rest, api_keys: keys } };
    } catch {
      return { ok: false, reason: "its api_keys do not open with this replica's state secret" };
    }
  }
}

/** Binds sealed keys to their registration, so they cannot be replayed into another one. */
function context(id: string): string {
  return `registration:${id}:api_keys`;
}
