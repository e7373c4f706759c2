/**
 * What a gateway started with nothing to route to prints on stderr: it answers 404 (named model)
 * or 503 (`auto`) until a backend is added, and a newcomer needs to know the ways to add one.
 * @module
 */
import type { GatewayConfig } from "../config/schema.js";

/** Nothing configured and no discovery scan: only registrations can give this gateway a backend. */
export function hasNoBackendSource(config: GatewayConfig): boolean {
  return config.backends.length === 0 && config.scan_hosts.length === 0;
}

export function noBackendsHint(gatewayUrl: string): string {
  const example = JSON.stringify({ name: "my-model", url: "http://127.0.0.1:8001", models: ["my-model"] });
  return [
    "switchyard: no backends configured; requests get 404 (or 503 for model auto) until one is added:",
    `  register one:     curl -X POST ${gatewayUrl}/backends/register -H 'content-type: application/json' -d '${example}'`,
    "  at start:         --backend [name=]http://host:port (models read from its /v1/models), --config <file>",
    "  from the env:     SWITCHYARD_BACKENDS, SWITCHYARD_CONFIG, OPENAI_API_KEYS / ANTHROPIC_API_KEYS (+ SERVICE_ENDPOINTS),",
    "                    in the environment or a .env file in the working directory",
    "  to try it out:    switchyard gateway --demo (four local mock backends serving mock-model)",
    "",
  ].join("\n");
}
