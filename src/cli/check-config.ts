/**
 * `switchyard gateway --check`: loads the configuration exactly as the gateway would (file, .env,
 * environment, flags), validates it, and describes what the gateway would run with, without
 * listening or contacting a backend. Secrets appear only as counts or as "set"; credentials inside
 * URLs are masked.
 * @module
 */
import { existsSync } from "node:fs";
import {
  backendId,
  type ConfigSources,
  configFilePath,
  effectiveEnv,
  loadGatewayConfig,
} from "../config/load.js";
import { redactUrl } from "../config/redact-url.js";
import type { GatewayConfig } from "../config/schema.js";
import { serviceKeys } from "../config/services.js";
import { DEMO_BACKEND_COUNT, DEMO_MODEL } from "../gateway-process/demo-backends.js";
import { hasNoBackendSource } from "../gateway-process/no-backends-hint.js";

export interface CheckOptions {
  demo: boolean;
  workers: number;
}

/** The report for a valid configuration; throws the loader's error for an invalid one. */
export function checkGatewayConfig(sources: ConfigSources, options: CheckOptions): string {
  const config = loadGatewayConfig(sources);
  const env = effectiveEnv(sources);
  const lines = ["configuration is valid; the gateway would run with:"];
  lines.push(`  sources     ${describeSources(sources)}`);
  lines.push(
    `  listen      ${config.host}:${config.port}${options.workers > 1 ? ` (${options.workers} workers)` : ""}`,
  );
  lines.push(`  strategy    ${describeStrategy(config)}`);
  lines.push(...describeBackends(config, options.demo));
  lines.push(`  services    ${describeServices(config, env)}`);
  if (config.scan_hosts.length > 0)
    lines.push(
      `  discovery   scan ${config.scan_hosts.join(",")} ports ${config.scan_ports.join(",") || "none"}`,
    );
  lines.push(`  state       ${describeState(config)}`);
  lines.push(
    `  client keys ${config.client_keys.length > 0 ? `${config.client_keys.length} (inference routes require one)` : "none (inference routes are open)"}`,
  );
  lines.push(
    `  admin token ${config.admin_token ? "set" : "not set (admin routes work only on a gateway bound to loopback)"}`,
  );
  lines.push(`  log level   ${config.log_level}`);
  return `${lines.join("\n")}\n`;
}

function describeSources(sources: ConfigSources): string {
  const parts: string[] = [];
  const file = configFilePath(sources);
  parts.push(file ? `config file ${file}` : "no config file");
  if (sources.envFile)
    parts.push(
      existsSync(sources.envFile.path)
        ? `env file ${sources.envFile.path}`
        : `no env file (${sources.envFile.path})`,
    );
  parts.push("environment", "flags");
  return parts.join("; ");
}

function describeStrategy(config: GatewayConfig): string {
  const perModel = Object.entries(config.model_strategies).map(([model, name]) => `${model}=${name}`);
  return perModel.length > 0 ? `${config.strategy} (per model: ${perModel.join(", ")})` : config.strategy;
}

function describeBackends(config: GatewayConfig, demo: boolean): string[] {
  const count = config.backends.length + (demo ? DEMO_BACKEND_COUNT : 0);
  const lines = [`  backends    ${count}`];
  for (const backend of config.backends) {
    const models =
      backend.models.length > 0
        ? `models ${backend.models.join(", ")}`
        : backend.model_patterns.length > 0
          ? `models matching ${backend.model_patterns.join(", ")}`
          : "models read from its /v1/models";
    const keys = backend.api_keys.length > 0 ? `, ${backend.api_keys.length} api keys` : "";
    lines.push(`    ${backendId(backend)}  ${redactUrl(backend.url)}  ${backend.kind}, ${models}${keys}`);
  }
  if (demo)
    lines.push(
      `    + ${DEMO_BACKEND_COUNT} --demo mock backends on free loopback ports, serving ${DEMO_MODEL}`,
    );
  if (count === 0 && hasNoBackendSource(config))
    lines.push("    none: requests get 404/503 until one registers (POST /backends/register)");
  return lines;
}

function describeServices(config: GatewayConfig, env: NodeJS.ProcessEnv): string {
  const parts = (["openai", "anthropic"] as const).flatMap((service) => {
    const keys = serviceKeys(env, service).length;
    const endpoints = config.backends.filter(
      (backend) => backend.name?.startsWith(`${service}-`) && backend.kind === service,
    );
    if (keys === 0 && endpoints.length === 0) return [];
    return [`${service}: ${keys} keys over ${endpoints.length} endpoints`];
  });
  return parts.length > 0 ? parts.join("; ") : "none";
}

function describeState(config: GatewayConfig): string {
  if (!config.redis) return "in memory (no redis)";
  const namespace = config.redis_namespace ? `, namespace ${config.redis_namespace}` : "";
  const secret = config.state_secret ? ", state secret set" : "";
  return `redis ${redactUrl(config.redis)}${namespace}${secret}`;
}
