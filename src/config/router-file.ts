/**
 * The two-model router's file (`two_models_config.json`):
 *   { "models": { "<model>": { "endpoint": { "host", "port", "health_check_path"? }, "start_command"? } } }
 * becomes native backends. Models that share an endpoint share one backend.
 * @module
 */
import { z } from "zod";

const routerFileSchema = z.object({
  models: z.record(
    z.string().min(1),
    z.object({
      endpoint: z.object({
        host: z.string().min(1),
        port: z.coerce.number().int().min(1).max(65535),
        health_check_path: z.string().startsWith("/").optional(),
        scheme: z.enum(["http", "https"]).optional(),
      }),
      start_command: z.string().optional(),
    }),
  ),
});

/** A file is in the two-model router's format when its `models` is an object of entries with an `endpoint`. */
export function isRouterFileConfig(value: unknown): boolean {
  if (typeof value !== "object" || value === null || !("models" in value)) return false;
  const models = (value as { models: unknown }).models;
  if (typeof models !== "object" || models === null || Array.isArray(models)) return false;
  return Object.values(models).some(
    (entry) => typeof entry === "object" && entry !== null && "endpoint" in entry,
  );
}

export interface RouterFileBackend {
  name: string;
  url: string;
  models: string[];
  health_path?: string;
  start_command?: string;
}

export function routerFileBackends(value: unknown): RouterFileBackend[] {
  const parsed = routerFileSchema.parse(value);
  const byEndpoint = new Map<string, RouterFileBackend>();
  for (const [model, { endpoint, start_command }] of Object.entries(parsed.models)) {
    const name = `${endpoint.host}:${endpoint.port}`;
    const existing = byEndpoint.get(name);
    if (existing) {
      existing.models.push(model);
      continue;
    }
    const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
    byEndpoint.set(name, {
      name,
      url: `${endpoint.scheme ?? "http"}://${host}:${endpoint.port}`,
      models: [model],
      ...(endpoint.health_check_path ? { health_path: endpoint.health_check_path } : {}),
      ...(start_command ? { start_command } : {}),
    });
  }
  return [...byEndpoint.values()];
}
