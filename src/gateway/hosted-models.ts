/**
 * The models hosted services serve, for `GET /v1/models`. A hosted backend (a key pool, no models
 * in config, routed by model patterns) lists nothing in the registry, so the service's own
 * /v1/models, asked with one of the pool's keys, says what it serves; ids its patterns would not
 * route to it (an OpenAI account's `whisper-1`) are left out. Answers are kept for a while and asked
 * again lazily, when the list is read after they expire. A service that cannot be asked shows its
 * last answer, or else the patterns it is routed by. Keys go only to the service they belong to.
 * @module
 */
import { ANTHROPIC_VERSION } from "../protocol/translate/openai-to-anthropic.js";
import type { BackendKind, BackendState } from "../routing/backend.js";
import type { Registry } from "../routing/registry.js";
import { type GetResult, modelIds, parseJsonOrUndefined } from "../upstream/get.js";

/** One GET to a backend with the given headers and deadline. */
export type ListModels = (
  backend: BackendState,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
) => Promise<GetResult>;

export interface HostedModelsOptions {
  timeoutMs: number;
  /** How long a service's answer is used before the service is asked again. */
  ttlMs?: number;
  /** How long before a service that could not be asked is asked again. */
  retryMs?: number;
  now?: () => number;
}

interface Entry {
  models: readonly string[];
  /** The models came from the service itself (not the fallback patterns). */
  fromService: boolean;
  expiresAt: number;
}

const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_RETRY_MS = 30_000;
/** Anthropic pages its list (20 by default); one page of its maximum size holds every model. */
const ANTHROPIC_PAGE = "?limit=1000";

export class HostedModels {
  readonly #registry: Registry;
  readonly #list: ListModels;
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  /** By backend state: a reload that replaces a backend starts its list afresh. */
  #entries = new WeakMap<BackendState, Entry>();
  #asking = new WeakMap<BackendState, Promise<readonly string[]>>();

  constructor(registry: Registry, list: ListModels, options: HostedModelsOptions) {
    this.#registry = registry;
    this.#list = list;
    this.#timeoutMs = options.timeoutMs;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Every hosted backend's models, de-duplicated, in registration order. */
  async models(): Promise<string[]> {
    const hosted = this.#registry.list().filter(isHosted);
    const lists = await Promise.all(hosted.map((backend) => this.#modelsOf(backend)));
    return [...new Set(lists.flat())];
  }

  #modelsOf(backend: BackendState): Promise<readonly string[]> | readonly string[] {
    const entry = this.#entries.get(backend);
    if (entry && entry.expiresAt > this.#now()) return entry.models;
    // Readers that arrive while the service is being asked share the one request.
    let asking = this.#asking.get(backend);
    if (!asking) {
      asking = this.#refresh(backend, entry).finally(() => this.#asking.delete(backend));
      this.#asking.set(backend, asking);
    }
    return asking;
  }

  async #refresh(backend: BackendState, previous: Entry | undefined): Promise<readonly string[]> {
    const listed = await this.#ask(backend);
    const entry: Entry = listed
      ? { models: listed, fromService: true, expiresAt: this.#now() + this.#ttlMs }
      : previous?.fromService
        ? { ...previous, expiresAt: this.#now() + this.#retryMs }
        : { models: backend.modelPatterns, fromService: false, expiresAt: this.#now() + this.#retryMs };
    this.#entries.set(backend, entry);
    return entry.models;
  }

  /** The service's list, or undefined when no key got one. */
  async #ask(backend: BackendState): Promise<string[] | undefined> {
    const path = backend.pathFor("/v1/models") + (backend.kind === "anthropic" ? ANTHROPIC_PAGE : "");
    for (const key of backend.keyPool?.usableNow() ?? []) {
      let answer: GetResult;
      try {
        answer = await this.#list(backend, path, keyHeaders(backend.kind, key), this.#timeoutMs);
      } catch {
        return undefined;
      }
      // That key is refused; another of the pool may not be.
      if (answer.status === 401 || answer.status === 403) continue;
      if (answer.status < 200 || answer.status >= 300) return undefined;
      const body = parseJsonOrUndefined(answer.text);
      if (!Array.isArray((body as { data?: unknown } | undefined)?.data)) return undefined;
      return modelIds(body).filter((id) => backend.modelPatterns.length === 0 || backend.matchesPattern(id));
    }
    return undefined;
  }
}

/** Backends only their service can say the models of. */
function isHosted(backend: BackendState): boolean {
  return backend.keyPool !== undefined && backend.models.length === 0;
}

/** A key in the service's own spelling. */
function keyHeaders(kind: BackendKind, key: string): Record<string, string> {
  return kind === "anthropic"
    ? { "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION }
    : { authorization: `Bearer ${key}` };
}
