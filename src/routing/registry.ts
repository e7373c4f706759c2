/**
 * The backends the gateway knows and the models each serves. Lookups by model are cached and the
 * cache is dropped whenever a backend or its model list changes, so the hot path does one map read.
 * @module
 */
import type { BackendConfig } from "../config/schema.js";
import { KeyPool } from "../upstream/key-pool.js";
import type { UpstreamFigures } from "./backend.js";
import { type BackendSource, BackendState } from "./backend.js";
import type { CircuitOptions } from "./circuit.js";

export interface RegistryOptions {
  circuit?: CircuitOptions;
  /** Cap for backends whose config sets none (0: no cap). */
  defaultMaxConnections?: number;
  /** Caps by backend name or `host:port`, for backends whose config sets none. */
  maxConnectionsMap?: Readonly<Record<string, number>>;
  /** Where backends read their connection pool's figures (`UpstreamPools.figures`). */
  upstreamFigures?: UpstreamFigures;
}

export class Registry {
  #backends = new Map<string, BackendState>();
  #byModel: Map<string, readonly BackendState[]> | undefined;
  #options: RegistryOptions;
  /** Key pools by key list, so backends (and reloads) with the same keys share cooldowns and counts. */
  #keyPools = new Map<string, KeyPool>();
  #keyPoolWatcher: ((pool: KeyPool) => void) | undefined;

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
  }

  /** Adds a backend, or replaces the one with the same id (requests in flight to it finish). */
  add(id: string, config: BackendConfig, source: BackendSource = "config"): BackendState {
    const state = new BackendState(
      id,
      { ...config, max_connections: this.#capFor(id, config) },
      this.#options.circuit,
      this.#options.upstreamFigures,
    );
    state.source = source;
    if (config.api_keys.length > 0) {
      const signature = `${config.kind}\u0000${config.api_keys.join("\u0000")}`;
      let pool = this.#keyPools.get(signature);
      if (!pool) {
        pool = new KeyPool(config.api_keys);
        this.#keyPools.set(signature, pool);
      }
      state.keyPool = pool;
      this.#keyPoolWatcher?.(pool);
    }
    this.#backends.set(id, state);
    this.#byModel = undefined;
    return state;
  }

  /**
   * Calls `watcher` with every key pool a backend uses now and each time a backend is added with
   * one (a pool shared by several backends comes once per backend), until called with undefined.
   * Shared state uses it to connect pools to the store.
   */
  watchKeyPools(watcher: ((pool: KeyPool) => void) | undefined): void {
    this.#keyPoolWatcher = watcher;
    if (!watcher) return;
    for (const { pool } of this.keyPools()) watcher(pool);
  }

  /** New caps and breaker settings apply to backends added from now on (reloads re-add changed ones). */
  setOptions(options: RegistryOptions): void {
    this.#options = options;
  }

  /** The config a backend would be built from now, its cap resolved as `add` resolves it. */
  effectiveConfig(id: string, config: BackendConfig): BackendConfig {
    return { ...config, max_connections: this.#capFor(id, config) };
  }

  #capFor(id: string, config: BackendConfig): number {
    if (config.max_connections > 0) return config.max_connections;
    const map = this.#options.maxConnectionsMap ?? {};
    const url = new URL(config.url);
    // Own keys only: a backend named "constructor" must not find Object.prototype's.
    if (Object.hasOwn(map, id)) return map[id]!;
    if (Object.hasOwn(map, url.host)) return map[url.host]!;
    return this.#options.defaultMaxConnections ?? 0;
  }

  remove(id: string): boolean {
    const removed = this.#backends.delete(id);
    if (removed) this.#byModel = undefined;
    return removed;
  }

  get(id: string): BackendState | undefined {
    return this.#backends.get(id);
  }

  list(): readonly BackendState[] {
    return [...this.#backends.values()];
  }

  setModels(backend: BackendState, models: readonly string[]): void {
    if (sameMembers(backend.models, models)) return;
    backend.models = models;
    this.#byModel = undefined;
  }

  /**
   * Every backend that serves `model`, healthy or not, in registration order: those that list it by
   * name, else those whose model patterns match it (the key-pool proxy's service detection by prefix).
   */
  serving(model: string): readonly BackendState[] {
    this.#byModel ??= this.#indexByModel();
    const listed = this.#byModel.get(model);
    if (listed) return listed;
    const matched: BackendState[] = [];
    for (const backend of this.#backends.values()) {
      if (backend.modelPatterns.length > 0 && backend.matchesPattern(model)) matched.push(backend);
    }
    return matched;
  }

  /** The key pools in use, for /stats. */
  keyPools(): { backends: string[]; pool: KeyPool }[] {
    const users = new Map<KeyPool, string[]>();
    for (const backend of this.#backends.values()) {
      if (backend.keyPool) users.set(backend.keyPool, [...(users.get(backend.keyPool) ?? []), backend.id]);
    }
    return [...users].map(([pool, backends]) => ({ pool, backends }));
  }

  /** All model ids served by any backend, de-duplicated, in first-seen order. */
  models(): string[] {
    this.#byModel ??= this.#indexByModel();
    return [...this.#byModel.keys()];
  }

  #indexByModel(): Map<string, readonly BackendState[]> {
    const index = new Map<string, BackendState[]>();
    for (const backend of this.#backends.values()) {
      for (const model of backend.models) {
        const list = index.get(model);
        if (list) list.push(backend);
        else index.set(model, [backend]);
      }
    }
    return index;
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
