/**
 * Client keys made at run time through `/admin/keys`: what an operator may set on one, the record
 * the key store keeps (the secret's SHA-256, never the secret), and the `Client` a request that
 * presents it authenticates as, with the same checks as a configured key (models, rpm/tpm, budgets)
 * plus an expiry.
 * @module
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { budgetSchema, keyMetadataSchema } from "../config/schema.js";
import type { StoredKey } from "../state/key-store/key-store.js";
import { type Client, sha256 } from "./client-keys.js";
import { GatewayError } from "./errors.js";

/** What an operator may set on a key, each optional (a PATCH changes only what it names). */
const keyFields = {
  name: z.string().min(1).max(128),
  models: z.array(z.string().min(1)),
  rpm: z.number().int().nonnegative(),
  tpm: z.number().int().nonnegative(),
  budgets: z.array(budgetSchema).max(16),
  metadata: keyMetadataSchema,
  /** ISO 8601 with a zone (`2027-01-01T00:00:00Z`); null: never expires. */
  expires_at: z.iso.datetime({ offset: true }).nullable(),
};

const createKeySchema = z.strictObject(keyFields).partial().required({ name: true });
const updateKeySchema = z.strictObject(keyFields).partial();

export type KeySettings = z.infer<typeof updateKeySchema>;

/** A runtime key's record, as the key store keeps it. */
export interface RuntimeKeyRecord extends StoredKey {
  readonly name: string;
  /** The secret's first characters, so an operator can tell keys apart. */
  readonly key_hint: string;
  readonly models: readonly string[];
  readonly rpm: number;
  readonly tpm: number;
  readonly budgets: KeySettings["budgets"] & {};
  readonly metadata: Readonly<Record<string, string>>;
  readonly expires_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** 400 naming the field at fault, as every admin route answers bad input. */
export function parseKeySettings(body: unknown, creating: boolean): KeySettings & { name?: string } {
  const parsed = (creating ? createKeySchema : updateKeySchema).safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.join(".") || null;
  throw new GatewayError("SWY_ERR_INVALID_REQUEST", `Invalid key: ${param ?? "body"}: ${issue.message}.`, {
    ...(param ? { param } : {}),
  });
}

/** A new secret: shown once, at creation or rotation. */
export function newSecret(): { secret: string; digest: string; hint: string } {
  const secret = `sk-swy-${randomBytes(24).toString("base64url")}`;
  return { secret, digest: sha256(secret), hint: `${secret.slice(0, 11)}…` };
}

export function newKeyRecord(
  settings: KeySettings & { name: string },
  now: Date,
): {
  record: RuntimeKeyRecord;
  secret: string;
} {
  const { secret, digest, hint } = newSecret();
  const at = now.toISOString();
  return {
    secret,
    record: {
      id: `key_${randomBytes(9).toString("base64url")}`,
      key_sha256: digest,
      key_hint: hint,
      name: settings.name,
      models: settings.models ?? [],
      rpm: settings.rpm ?? 0,
      tpm: settings.tpm ?? 0,
      budgets: settings.budgets ?? [],
      metadata: settings.metadata ?? {},
      expires_at: settings.expires_at ? new Date(settings.expires_at).toISOString() : null,
      created_at: at,
      updated_at: at,
    },
  };
}

export function updatedKeyRecord(
  record: RuntimeKeyRecord,
  settings: KeySettings,
  now: Date,
): RuntimeKeyRecord {
  const defined = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
  const expires =
    settings.expires_at === undefined
      ? record.expires_at
      : settings.expires_at && new Date(settings.expires_at).toISOString();
  return { ...record, ...defined, expires_at: expires, updated_at: now.toISOString() };
}

/** What the admin API shows of a key: everything but its digest. */
export function publicKey(record: RuntimeKeyRecord): Omit<RuntimeKeyRecord, "key_sha256"> {
  const { key_sha256: _digest, ...shown } = record;
  return shown;
}

const clients = new WeakMap<StoredKey, Client>();

/** The client a runtime key's record names; one per record object, so a request builds nothing. */
export function clientOfRecord(stored: StoredKey): Client {
  let client = clients.get(stored);
  if (!client) {
    const record = stored as RuntimeKeyRecord;
    client = {
      name: record.name,
      id: record.id,
      models: record.models ?? [],
      rpm: record.rpm ?? 0,
      tpm: record.tpm ?? 0,
      budgets: record.budgets ?? [],
      team: record.metadata?.team,
      expiresAt: record.expires_at ? Date.parse(record.expires_at) : undefined,
    };
    clients.set(stored, client);
  }
  return client;
}
