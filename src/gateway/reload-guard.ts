/**
 * The check a hot reload passes before it changes anything: a new file that would leave the
 * gateway with no backend, or leave a model that has backends with none, is far more often a
 * mistake (a truncated file, a bad merge, a template rendered empty) than a wish, and applying it
 * turns every request into a 404 at once. Like `nginx -t` refusing an upstream with no servers, such
 * a reload is refused and the running configuration kept, unless the file sets
 * `allow_empty_backends`.
 * @module
 */
import { backendId } from "../config/load.js";
import type { BackendConfig, GatewayConfig } from "../config/schema.js";
import type { BackendState } from "../routing/backend.js";

/** A reload refused because of what it would remove, not because the file is invalid. */
export class ReloadRefusedError extends Error {
  override readonly name = "ReloadRefusedError";
  readonly code = "SWY_RELOAD_REFUSED";
}

/**
 * Throws {@link ReloadRefusedError} when `next` would leave no backend, or no backend for a model
 * the running backends serve. Runtime and discovered backends stay through a reload, so they
 * count. A config backend that learns its models from `/v1/models` counts with the models it
 * serves now, or, when new, as serving anything (what it serves is not known before it is asked).
 */
export function checkReload(running: readonly BackendState[], next: GatewayConfig): void {
  if (next.allow_empty_backends || running.length === 0) return;
  const staying = running.filter((backend) => backend.source !== "config");
  if (staying.length + next.backends.length === 0) {
    throw new ReloadRefusedError(
      `the new configuration has no backends; it would remove ${names(running)} ` +
        "(set allow_empty_backends: true to allow it)",
    );
  }
  const byId = new Map(running.map((backend) => [backend.id, backend]));
  const served = new Set<string>(staying.flatMap((backend) => backend.models));
  for (const config of next.backends) {
    const models = modelsAfter(config, byId.get(backendId(config)));
    if (models === "any") return;
    for (const model of models) served.add(model);
  }
  const orphaned = [...new Set(running.flatMap((backend) => backend.models))].filter(
    (model) => !served.has(model),
  );
  if (orphaned.length === 0) return;
  throw new ReloadRefusedError(
    `the new configuration leaves no backend for model${orphaned.length > 1 ? "s" : ""} ` +
      `${orphaned.map((model) => `"${model}"`).join(", ")} (set allow_empty_backends: true to allow it)`,
  );
}

function modelsAfter(config: BackendConfig, current: BackendState | undefined): readonly string[] | "any" {
  if (config.models.length > 0) return config.models;
  return current ? current.models : "any";
}

function names(backends: readonly BackendState[]): string {
  const shown = backends.slice(0, 5).map((backend) => `"${backend.id}"`);
  if (backends.length > shown.length) shown.push(`and ${backends.length - shown.length} more`);
  return shown.join(", ");
}
