/**
 * A backend's pool of upstream API keys: round robin over the keys that are usable now. A key that
 * gets 429 cools down (for its Retry-After, else an exponential backoff); one that gets 401/403 is
 * taken out of rotation; one whose rate-limit headers say it is spent waits for their reset. Keys
 * are never exposed: views name them by position and a short fingerprint.
 *
 * With shared state, a pool tells {@link KeyPool.onDecision} each cooldown and disablement it
 * decides, and adopts those decided elsewhere ({@link KeyPool.adopt}); both name a key by its
 * {@link KeyPool.storeFingerprints store fingerprint}, never by value. Picking a key stays local.
 * @module
 */
import { createHash } from "node:crypto";
import type { KeyState as SharedKeyState } from "../state/store.js";

const MIN_COOLDOWN_MS = 1_000;
const MAX_COOLDOWN_MS = 60_000;

export interface KeyView {
  key: string;
  fingerprint: string;
  requests: number;
  errors: number;
  rate_limited: number;
  disabled: boolean;
  disabled_reason: string | null;
  cooling_down_ms: number;
}

class KeyState {
  readonly value: string;
  readonly label: string;
  readonly fingerprint: string;
  requests = 0;
  errors = 0;
  rateLimited = 0;
  consecutive429 = 0;
  availableAt = 0;
  disabledReason: string | undefined;

  /** Names the key in the shared store: long enough that two keys never share cooldowns. */
  readonly storeFingerprint: string;

  constructor(value: string, index: number) {
    this.value = value;
    this.label = `key-${index + 1}`;
    const digest = createHash("sha256").update(value).digest("hex");
    this.fingerprint = digest.slice(0, 8);
    this.storeFingerprint = digest.slice(0, 32);
  }
}

/** What a pool decided about one of its keys, for the shared store. */
export type KeyDecision = (storeFingerprint: string, state: SharedKeyState) => void;

export class KeyPool {
  readonly #keys: KeyState[];
  readonly #now: () => number;
  readonly #byStoreFingerprint: ReadonlyMap<string, KeyState>;
  #cursor = 0;
  /**
   * Told every cooldown this pool starts or extends and every key it disables, from its own
   * requests only (never from {@link adopt}, so nothing echoes back and forth). Must not throw.
   */
  onDecision: KeyDecision | undefined;

  constructor(keys: readonly string[], now: () => number = Date.now) {
    this.#keys = [...new Set(keys)].map((value, index) => new KeyState(value, index));
    this.#byStoreFingerprint = new Map(this.#keys.map((key) => [key.storeFingerprint, key]));
    this.#now = now;
  }

  /** The names of this pool's keys in the shared store. */
  storeFingerprints(): string[] {
    return [...this.#byStoreFingerprint.keys()];
  }

  /**
   * Applies a key state decided on another replica (or read from the store): a cooldown only ever
   * extends this pool's, a disablement takes the key out here too. False when the key is not in
   * this pool.
   */
  adopt(storeFingerprint: string, state: SharedKeyState): boolean {
    const key = this.#byStoreFingerprint.get(storeFingerprint);
    if (!key) return false;
    key.availableAt = Math.max(key.availableAt, state.coolingDownUntil);
    if (state.disabledReason !== undefined && key.disabledReason === undefined)
      key.disabledReason = state.disabledReason;
    return true;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The next usable key, or undefined when every key is disabled or cooling down. */
  next(exclude: ReadonlySet<string> = new Set()): string | undefined {
    const now = this.#now();
    for (let step = 0; step < this.#keys.length; step++) {
      const key = this.#keys[(this.#cursor + step) % this.#keys.length]!;
      if (key.disabledReason || key.availableAt > now || exclude.has(key.value)) continue;
      this.#cursor = (this.#cursor + step + 1) % this.#keys.length;
      key.requests++;
      return key.value;
    }
    return undefined;
  }

  /**
   * The keys usable now, in pool order, for the gateway's own calls (listing models): neither the
   * rotation nor any key's counts move, so client traffic is spread exactly as without them.
   */
  usableNow(): string[] {
    const now = this.#now();
    return this.#keys.filter((key) => !key.disabledReason && key.availableAt <= now).map((key) => key.value);
  }

  /** Milliseconds until some key is usable again; undefined when none ever will be. */
  retryAfterMs(): number | undefined {
    const now = this.#now();
    const waits = this.#keys
      .filter((key) => !key.disabledReason)
      .map((key) => Math.max(0, key.availableAt - now));
    return waits.length === 0 ? undefined : Math.min(...waits);
  }

  /** Tells the pool how a request with `value` went, from its status and response headers. */
  report(
    value: string,
    status: number,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): void {
    const key = this.#keys.find((candidate) => candidate.value === value);
    if (!key) return;
    const now = this.#now();
    const availableAt = key.availableAt;
    if (status === 429) {
      key.rateLimited++;
      key.consecutive429++;
      const backoff = Math.min(MAX_COOLDOWN_MS, MIN_COOLDOWN_MS * 2 ** (key.consecutive429 - 1));
      key.availableAt = now + (retryAfterMs(headers) ?? backoff);
    } else if (status === 401 || status === 403) {
      key.errors++;
      key.disabledReason = `upstream answered ${status}`;
      this.onDecision?.(key.storeFingerprint, {
        coolingDownUntil: key.availableAt > now ? key.availableAt : 0,
        disabledReason: key.disabledReason,
      });
      return;
    } else {
      if (status >= 500) key.errors++;
      else key.consecutive429 = 0;
      const spentUntil = exhaustedUntil(headers, now);
      if (spentUntil !== undefined) key.availableAt = Math.max(key.availableAt, spentUntil);
    }
    if (key.availableAt > availableAt && key.availableAt > now)
      this.onDecision?.(key.storeFingerprint, { coolingDownUntil: key.availableAt });
  }

  views(): KeyView[] {
    const now = this.#now();
    return this.#keys.map((key) => ({
      key: key.label,
      fingerprint: key.fingerprint,
      requests: key.requests,
      errors: key.errors,
      rate_limited: key.rateLimited,
      disabled: key.disabledReason !== undefined,
      disabled_reason: key.disabledReason ?? null,
      cooling_down_ms: Math.max(0, key.availableAt - now),
    }));
  }
}

function header(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After in seconds or as an HTTP date; `retry-after-ms` (OpenAI) first. */
export function retryAfterMs(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): number | undefined {
  const ms = Number(header(headers, "retry-after-ms"));
  if (Number.isFinite(ms) && ms >= 0 && header(headers, "retry-after-ms") !== undefined) return ms;
  const text = header(headers, "retry-after");
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * When a key's remaining requests or tokens reach 0, the time its limit resets, from OpenAI's
 * `x-ratelimit-remaining-*`/`x-ratelimit-reset-*` (durations like `6m0s`, `1.5s`, `20ms`) or
 * Anthropic's `anthropic-ratelimit-*-remaining`/`-reset` (RFC 3339 times).
 */
export function exhaustedUntil(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number,
): number | undefined {
  let until: number | undefined;
  for (const kind of ["requests", "tokens"]) {
    if (header(headers, `x-ratelimit-remaining-${kind}`) === "0") {
      const reset = parseDuration(header(headers, `x-ratelimit-reset-${kind}`));
      until = Math.max(until ?? 0, now + (reset ?? MIN_COOLDOWN_MS));
    }
    if (header(headers, `anthropic-ratelimit-${kind}-remaining`) === "0") {
      const reset = Date.parse(header(headers, `anthropic-ratelimit-${kind}-reset`) ?? "");
      until = Math.max(until ?? 0, Number.isNaN(reset) ? now + MIN_COOLDOWN_MS : reset);
    }
  }
  return until;
}

/** `1h2m3.5s`, `250ms`, `6m0s` → milliseconds. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const [, amount, unit] of text.matchAll(pattern)) {
    matched = true;
    const value = Number(amount);
    total +=
      unit === "h" ? value * 3_600_000 : unit === "m" ? value * 60_000 : unit === "s" ? value * 1000 : value;
  }
  return matched ? total : undefined;
}
