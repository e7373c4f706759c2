/**
 * Hosted services with key pools, from the environment: `OPENAI_API_KEYS` / `ANTHROPIC_API_KEYS`
 * (comma-separated; the singular `OPENAI_API_KEY` / `ANTHROPIC_API_KEY` as fallbacks) and
 * `SERVICE_ENDPOINTS` (`{"openai": [urls], "anthropic": [urls]}`). Each endpoint becomes a backend
 * that takes the service's models by prefix, with the service's keys as its pool.
 * @module
 */
import { ConfigError } from "./errors.js";

export type ServiceName = "openai" | "anthropic";

const SERVICES: Record<
  ServiceName,
  { label: string; keysEnv: string; keyEnv: string; defaultUrl: string; patterns: string[] }
> = {
  openai: {
    label: "OpenAI",
    keysEnv: "OPENAI_API_KEYS",
    keyEnv: "OPENAI_API_KEY",
    defaultUrl: "https://api.openai.com/v1",
    patterns: ["gpt-*", "o1*", "o3*", "o4*", "chatgpt-*", "text-embedding-*", "davinci-*", "babbage-*"],
  },
  anthropic: {
    label: "Anthropic",
    keysEnv: "ANTHROPIC_API_KEYS",
    keyEnv: "ANTHROPIC_API_KEY",
    defaultUrl: "https://api.anthropic.com/v1",
    patterns: ["claude-*"],
  },
};

export interface ServiceBackend {
  name: string;
  url: string;
  kind: ServiceName;
  api_keys: string[];
  model_patterns: string[];
  health_path: "";
}

export function serviceKeys(env: NodeJS.ProcessEnv, service: ServiceName): string[] {
  const { keysEnv, keyEnv } = SERVICES[service];
  const list = (env[keysEnv] ?? "")
    .split(",")
    .map((key) => key.trim().replace(/^["']|["']$/g, ""))
    .filter((key) => key.length > 0);
  if (list.length > 0) return list;
  const single = env[keyEnv]?.trim();
  return single ? [single] : [];
}

export function serviceEndpoints(env: NodeJS.ProcessEnv): Partial<Record<ServiceName, string[]>> {
  const text = env.SERVICE_ENDPOINTS?.trim();
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Invalid JSON in SERVICE_ENDPOINTS: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      'SERVICE_ENDPOINTS must be a JSON object such as {"openai": ["https://api.openai.com/v1"]}',
    );
  }
  const endpoints: Partial<Record<ServiceName, string[]>> = {};
  for (const [service, urls] of Object.entries(parsed)) {
    if (service !== "openai" && service !== "anthropic") {
      throw new ConfigError(
        `SERVICE_ENDPOINTS names an unknown service "${service}" (use openai or anthropic)`,
      );
    }
    if (!Array.isArray(urls) || !urls.every((url) => typeof url === "string")) {
      throw new ConfigError(`SERVICE_ENDPOINTS.${service} must be an array of URLs`);
    }
    endpoints[service] = urls;
  }
  return endpoints;
}

/** Backends for every service that has keys or endpoints; endpoints without keys are an error. */
export function serviceBackends(env: NodeJS.ProcessEnv): ServiceBackend[] {
  const endpoints = serviceEndpoints(env);
  const backends: ServiceBackend[] = [];
  for (const service of ["openai", "anthropic"] as const) {
    const keys = serviceKeys(env, service);
    const urls = endpoints[service];
    if (keys.length === 0 && !urls) continue;
    const { label, keysEnv, keyEnv, defaultUrl, patterns } = SERVICES[service];
    if (keys.length === 0) {
      throw new ConfigError(`No ${label} API keys configured: set ${keysEnv} or ${keyEnv}`);
    }
    (urls && urls.length > 0 ? urls : [defaultUrl]).forEach((url, index) => {
      backends.push({
        name: `${service}-${index + 1}`,
        url,
        kind: service,
        api_keys: keys,
        model_patterns: patterns,
        health_path: "",
      });
    });
  }
  return backends;
}

/** Configured key counts and endpoints per service, for the key-pool proxy's /health and /stats (never keys). */
export function serviceSummary(env: NodeJS.ProcessEnv) {
  return {
    openai_keys_configured: serviceKeys(env, "openai").length,
    anthropic_keys_configured: serviceKeys(env, "anthropic").length,
  };
}
