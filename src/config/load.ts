/**
 * Builds the gateway's configuration from a file (native JSON/YAML or the two-model router's format),
 * the environment (with a `.env` file under it) and command-line flags, and validates the result
 * once. Errors name the bad field and where it came from.
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { z } from "zod";
import { type EnvFileSource, readEnvFile } from "./env-file.js";
import { ConfigError } from "./errors.js";
import { isRouterFileConfig, routerFileBackends } from "./router-file.js";
import {
  GATEWAY_SETTINGS,
  type GatewayConfig,
  type GatewaySettingKey,
  gatewayConfigSchema,
} from "./schema.js";
import { serviceBackends } from "./services.js";

/**
 * yaml is required only for a YAML file (most gateways start from flags, env or JSON), and
 * synchronously, because loading the config is: reloads run it between requests.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml.parse(text);
}

export { ConfigError };

export interface ConfigSources {
  /** Path of a config file, if any. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /**
   * A dotenv file whose variables fill in what the environment lacks: a variable set in the real
   * environment wins over the file. Read again at every load, so a reload sees its edits.
   */
  envFile?: EnvFileSource | undefined;
  /** Values given on the command line, keyed like the config (`health_interval`). */
  flags?: Partial<Record<GatewaySettingKey, unknown>>;
  /** Backends given with `--backend [name=]url` (models are discovered from each one's /v1/models). */
  backendSpecs?: readonly string[];
}

export function loadGatewayConfig(sources: ConfigSources = {}): GatewayConfig {
  const env = effectiveEnv(sources);
  const file = sources.file ?? env.SWITCHYARD_CONFIG;
  const merged: Record<string, unknown> = file ? readConfigFile(file) : {};
  /** Where each setting given outside the file came from, so an error names the variable or flag. */
  const origins = new Map<string, string>();
  for (const setting of GATEWAY_SETTINGS) {
    const name = setting.env.find((candidate) => env[candidate] !== undefined && env[candidate] !== "");
    if (!name) continue;
    merged[setting.key] = env[name];
    origins.set(setting.key, name);
  }
  const seedRedis = redisUrlFromHost(env);
  if (seedRedis !== undefined && merged.redis === undefined) merged.redis = seedRedis;
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    merged[key] = value;
    origins.set(key, flagName(key));
  }
  const extraBackends = [...splitList(env.SWITCHYARD_BACKENDS), ...(sources.backendSpecs ?? [])];
  if (extraBackends.length > 0) {
    const backends = Array.isArray(merged.backends) ? merged.backends : [];
    merged.backends = [...backends, ...extraBackends.map(parseBackendSpec)];
  }
  const services = serviceBackends(env);
  if (services.length > 0) {
    const backends = Array.isArray(merged.backends) ? merged.backends : [];
    merged.backends = [...backends, ...services];
  }
  const result = gatewayConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describeIssues(result.error, file, origins));
  assertUniqueBackendNames(result.data);
  assertUniqueClientKeys(result.data);
  return result.data;
}

/** The environment the configuration is read from: the env file's variables under the real ones. */
export function effectiveEnv(sources: ConfigSources): NodeJS.ProcessEnv {
  const real = sources.env ?? process.env;
  return sources.envFile ? { ...readEnvFile(sources.envFile), ...real } : real;
}

/** The config file a load reads, if any: `--config`, else `SWITCHYARD_CONFIG` (env or env file). */
export function configFilePath(sources: ConfigSources): string | undefined {
  return sources.file ?? (effectiveEnv(sources).SWITCHYARD_CONFIG || undefined);
}

/**
 * Largest config file read. Real ones are a few KiB; the YAML parser takes tens of seconds on a
 * large malformed file, so a file this big is refused before parsing.
 */
export const MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;

/** Reads a JSON or YAML file; the two-model router's format is converted to native backends. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    // Checked before reading as well as after: a FIFO or a device reports no size.
    assertConfigFileSize(path, statSync(path).size);
    const bytes = readFileSync(path);
    assertConfigFileSize(path, bytes.length);
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = [".yaml", ".yml"].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${path} is not valid ${extname(path) || "JSON"}: ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${path} must hold an object`);
  }
  if (!isRouterFileConfig(value)) return value as Record<string, unknown>;
  try {
    const { models: _models, ...rest } = value as Record<string, unknown>;
    return { ...rest, backends: routerFileBackends(value) };
  } catch (error) {
    if (error instanceof z.ZodError) throw new ConfigError(describeIssues(error, path));
    throw error;
  }
}

function assertConfigFileSize(path: string, bytes: number): void {
  if (bytes <= MAX_CONFIG_FILE_BYTES) return;
  throw new ConfigError(
    `config file ${path} is ${bytes} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES} bytes`,
  );
}

function describeIssues(
  error: z.ZodError,
  file: string | undefined,
  origins: ReadonlyMap<string, string> = new Map(),
): string {
  const where = file ? ` (from ${file}, the environment or flags)` : "";
  const lines = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    const origin = origins.get(String(issue.path[0]));
    return `  ${field}${origin ? ` (set by ${origin})` : ""}: ${issue.message}`;
  });
  return `invalid configuration${where}:\n${lines.join("\n")}`;
}

function assertUniqueBackendNames(config: GatewayConfig): void {
  const seen = new Set<string>();
  for (const backend of config.backends) {
    const id = backendId(backend);
    if (seen.has(id))
      throw new ConfigError(`invalid configuration:\n  backends: two backends are named "${id}"`);
    seen.add(id);
  }
}

/** `--health-interval` for `health_interval`: the flag as the user typed it. */
function flagName(key: string): string {
  return GATEWAY_SETTINGS.find((candidate) => candidate.key === key)?.name ?? key;
}

/**
 * One key under two client names would make the second name unreachable (a presented key finds
 * one client), with its own models and limits silently ignored: refused, naming both.
 */
function assertUniqueClientKeys(config: GatewayConfig): void {
  const owners = new Map<string, string>();
  for (const client of config.client_keys) {
    const digest = (client.key_sha256 ?? sha256(client.key!)).toLowerCase();
    const owner = owners.get(digest);
    if (owner !== undefined) {
      throw new ConfigError(
        `invalid configuration:\n  client_keys: clients "${owner}" and "${client.name}" have the same key`,
      );
    }
    owners.set(digest, client.name);
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The ai-lb variables `REDIS_HOST` (default `localhost`) and `REDIS_PORT` (default 6379) as a URL,
 * or undefined when neither is set. `REDIS_PORT` alone counts only as a plain number: Docker links
 * and Kubernetes service links set `REDIS_PORT=tcp://…` for any service named redis, which must not
 * turn shared state on by accident. `SWITCHYARD_REDIS_URL` and `--redis` take precedence.
 */
export function redisUrlFromHost(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.REDIS_HOST?.trim();
  const port = env.REDIS_PORT?.trim();
  if (!host && !(port && /^\d+$/.test(port))) return undefined;
  const hostname = host || "localhost";
  const bracketed = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return `redis://${bracketed}:${port || "6379"}`;
}

/** A backend's stable id: its name if given, else `host:port` of its URL. */
export function backendId(backend: { name?: string | undefined; url: string }): string {
  if (backend.name) return backend.name;
  const url = new URL(backend.url);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return `${url.hostname}:${port}`;
}

/** `http://host:port` or `name=http://host:port`. */
export function parseBackendSpec(spec: string): { name?: string; url: string } {
  const match = /^([^=/:]+)=(.+)$/.exec(spec);
  return match ? { name: match[1]!, url: match[2]! } : { url: spec };
}

function splitList(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(/[,;\s]+/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
