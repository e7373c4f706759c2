/**
 * Gateway API keys: when any is configured, every inference request must carry one (as
 * `Authorization: Bearer` or `x-api-key`). A key names a client with the models it may use and its
 * requests-per-minute and tokens-per-minute limits, counted in the StateStore so they hold across
 * replicas when state is shared. Keys are compared by SHA-256 digest (the config may hold only the
 * digest) and never logged or forwarded upstream.
 * @module
 */
import { createHash } from "node:crypto";
import type { BudgetConfig, ClientKeyConfig } from "../config/schema.js";
import type { StateStore } from "../state/store.js";
import { GatewayError } from "./errors.js";

const MINUTE_MS = 60_000;

export interface Client {
  readonly name: string;
  /** Names the key's rate windows and budget counters: a config key's name, a runtime key's id. */
  readonly id: string;
  readonly models: readonly string[];
  readonly rpm: number;
  readonly tpm: number;
  readonly budgets: readonly BudgetConfig[];
  /** `metadata.team`: the team whose budgets (`team_budgets`) the key also spends. */
  readonly team: string | undefined;
  /** Epoch ms after which the key is refused (runtime keys); undefined: never. */
  readonly expiresAt: number | undefined;
}

export class ClientKeys {
  readonly #byDigest: ReadonlyMap<string, Client>;

  constructor(keys: readonly ClientKeyConfig[]) {
    this.#byDigest = new Map(
      keys.map((key) => [
        (key.key_sha256 ?? sha256(key.key!)).toLowerCase(),
        {
          name: key.name,
          id: key.name,
          models: key.models,
          rpm: key.rpm,
          tpm: key.tpm,
          budgets: key.budgets,
          team: key.metadata.team,
          expiresAt: undefined,
        },
      ]),
    );
  }

  /** The configured client whose key has this SHA-256 (hex). */
  find(digest: string): Client | undefined {
    return this.#byDigest.get(digest);
  }

  get required(): boolean {
    return this.#byDigest.size > 0;
  }

  /** The client a request's credentials name; 401 when missing or unknown. */
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Client {
    const client = this.#byDigest.get(presentedDigest(headers));
    if (!client) throw invalidKey();
    return client;
  }
}

/** The SHA-256 (hex) of the key a request presents; 401 when it presents none. */
export function presentedDigest(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  const presented = presentedKey(headers);
  if (presented === undefined) {
    throw new GatewayError(
      "SWY_ERR_CLIENT_KEY_MISSING",
      "This gateway needs an API key: send 'Authorization: Bearer <key>'.",
    );
  }
  return sha256(presented);
}

export function invalidKey(): GatewayError {
  return new GatewayError("SWY_ERR_CLIENT_KEY_INVALID", "The API key is not valid for this gateway.");
}

/** 401 once the key's expiry has passed. */
export function assertNotExpired(client: Client, now: number): void {
  if (client.expiresAt !== undefined && now >= client.expiresAt) {
    throw new GatewayError(
      "SWY_ERR_CLIENT_KEY_EXPIRED",
      `The key '${client.name}' expired at ${new Date(client.expiresAt).toISOString()}.`,
    );
  }
}

/** 403 unless the client may use `model` (exact names or `*` patterns; none listed: any model). */
export function assertModelAllowed(client: Client, model: string): void {
  if (client.models.length === 0) return;
  const allowed = client.models.some((pattern) =>
    pattern.includes("*")
      ? new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`).test(model)
      : pattern === model,
  );
  if (!allowed) {
    throw new GatewayError(
      "SWY_ERR_MODEL_FORBIDDEN",
      `The key '${client.name}' may not use the model '${model}'.`,
      {
        param: "model",
      },
    );
  }
}

/** Counts one request against the client's limits; 429 with Retry-After when a limit is reached. */
export async function admitRequest(state: StateStore, client: Client): Promise<void> {
  if (client.tpm > 0) {
    const tokens = await state.addToWindow(`tpm:${client.id}`, MINUTE_MS, 0, Number.MAX_SAFE_INTEGER);
    if (tokens.total >= client.tpm) throw limitError(client, "tokens", client.tpm, tokens.resetMs);
  }
  if (client.rpm > 0) {
    const requests = await state.addToWindow(`rpm:${client.id}`, MINUTE_MS, 1, client.rpm);
    if (!requests.allowed) throw limitError(client, "requests", client.rpm, requests.resetMs);
  }
}

/** Adds a response's tokens to the client's tokens-per-minute window (never refused: already spent). */
export function recordTokens(state: StateStore, client: Client, tokens: number): void {
  if (client.tpm > 0 && tokens > 0) {
    void state.addToWindow(`tpm:${client.id}`, MINUTE_MS, tokens, Number.MAX_SAFE_INTEGER);
  }
}

function limitError(client: Client, what: string, limit: number, resetMs: number): GatewayError {
  return new GatewayError(
    "SWY_ERR_RATE_LIMITED",
    `The key '${client.name}' used its ${limit} ${what} per minute; try again in ${Math.ceil(resetMs / 1000)} s.`,
    { headers: { "retry-after": String(Math.max(1, Math.ceil(resetMs / 1000))) } },
  );
}

function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.length > 0) return apiKey;
  const authorization = headers.authorization;
  if (typeof authorization === "string" && /^Bearer\s+\S/i.test(authorization)) {
    return authorization.replace(/^Bearer\s+/i, "");
  }
  return undefined;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
