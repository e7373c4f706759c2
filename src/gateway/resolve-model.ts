/**
 * Turns the model a client asked for into the model a backend serves: aliases map to their target,
 * sentinels (`auto`, `default`, LM_MODEL) pick a model with a healthy backend, preferring
 * PREFERRED_MODELS in order, else the first model any backend lists.
 * @module
 */
import type { GatewayConfig } from "../config/schema.js";
import type { Registry } from "../routing/registry.js";

export interface ResolvedModel {
  model: string;
  /** True when the forwarded body must carry a different model name than the client sent. */
  rewritten: boolean;
}

export class ModelResolver {
  readonly #registry: Registry;
  readonly #sentinels: ReadonlySet<string>;
  readonly #preferred: readonly string[];
  readonly #aliases: Readonly<Record<string, string>>;

  constructor(registry: Registry, config: GatewayConfig) {
    this.#registry = registry;
    this.#sentinels = new Set([...config.model_sentinels, config.lm_model].filter((name) => name.length > 0));
    this.#preferred = config.preferred_models;
    this.#aliases = config.aliases;
  }

  isSentinel(model: string): boolean {
    return this.#sentinels.has(model);
  }

  /** Undefined when the client asked for a sentinel and no backend lists any model. */
  resolve(requested: string): ResolvedModel | undefined {
    const alias = Object.hasOwn(this.#aliases, requested) ? this.#aliases[requested] : undefined;
    if (alias !== undefined) return { model: alias, rewritten: alias !== requested };
    if (this.#registry.serving(requested).length > 0 || !this.#sentinels.has(requested)) {
      return { model: requested, rewritten: false };
    }
    const picked = this.#pickForSentinel();
    return picked === undefined ? undefined : { model: picked, rewritten: true };
  }

  #pickForSentinel(): string | undefined {
    const hasHealthy = (model: string) => this.#registry.serving(model).some((backend) => backend.healthy);
    const all = this.#registry.models();
    return (
      this.#preferred.find(hasHealthy) ??
      all.find(hasHealthy) ??
      this.#preferred.find((m) => all.includes(m)) ??
      all[0]
    );
  }
}
