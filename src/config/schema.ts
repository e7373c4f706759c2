/**
 * The gateway's configuration: every option once, with its default, the flag and the environment
 * variables that set it. Files (native or seed formats), env and flags are all validated here.
 * Precedence, lowest first: defaults, config file, environment, command-line flags.
 * @module
 */
import { z } from "zod";

const seconds = z.coerce.number().nonnegative();

export const backendSchema = z.strictObject({
  /** Stable id; defaults to `host:port` of the URL. */
  name: z.string().min(1).optional(),
  url: z.url({ protocol: /^https?$/ }),
  kind: z.enum(["openai", "anthropic"]).default("openai"),
  /** Models this backend serves; empty means "ask its /v1/models". */
  models: z.array(z.string().min(1)).default([]),
  model_type: z.string().min(1).default("generic"),
  weight: z.coerce.number().positive().default(1),
  /** Concurrent requests allowed to this backend; 0 means no cap. */
  max_connections: z.coerce.number().int().nonnegative().default(0),
  health_path: z.string().startsWith("/").default("/health"),
  /** Seed 003: how to start this backend; used by `switchyard cluster`. */
  start_command: z.string().optional(),
});

export type BackendConfig = z.infer<typeof backendSchema>;

export const gatewayConfigSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  strategy: z.string().min(1).default("round_robin"),
  health_interval: seconds.default(30),
  health_timeout: seconds.default(5),
  request_timeout: seconds.default(300),
  connect_timeout: seconds.default(10),
  max_retries: z.coerce.number().int().nonnegative().default(2),
  body_limit: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  log_level: z
    .string()
    .toLowerCase()
    .pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .default("info"),
  backends: z.array(backendSchema).default([]),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewaySettingKey = Exclude<keyof GatewayConfig, "backends">;

export interface SettingSpec {
  key: GatewaySettingKey;
  /** Commander flag syntax, e.g. `--port <port>`. */
  flag: string;
  /** Environment variables, first match wins; seed names come first where a seed defined one. */
  env: readonly string[];
  description: string;
}

/** Flag, env and help text of every scalar setting; the zod schema above holds types and defaults. */
export const GATEWAY_SETTINGS: readonly SettingSpec[] = [
  { key: "host", flag: "--host <host>", env: ["SWITCHYARD_HOST"], description: "address to bind" },
  {
    key: "port",
    flag: "--port <port>",
    env: ["LOAD_BALANCER_PORT", "SWITCHYARD_PORT"],
    description: "port to listen on (0 picks a free one)",
  },
  {
    key: "strategy",
    flag: "--strategy <name>",
    env: ["ROUTING_STRATEGY", "SWITCHYARD_STRATEGY"],
    description: "load-balancing strategy (seed spellings such as ROUND_ROBIN accepted)",
  },
  {
    key: "health_interval",
    flag: "--health-interval <seconds>",
    env: ["SWITCHYARD_HEALTH_INTERVAL"],
    description: "seconds between active health checks (0 disables them)",
  },
  {
    key: "health_timeout",
    flag: "--health-timeout <seconds>",
    env: ["SWITCHYARD_HEALTH_TIMEOUT"],
    description: "hard timeout of one health check",
  },
  {
    key: "request_timeout",
    flag: "--request-timeout <seconds>",
    env: ["REQUEST_TIMEOUT_SECS", "SWITCHYARD_REQUEST_TIMEOUT"],
    description:
      "seconds to wait for an upstream's response headers, and between its body chunks (504 after)",
  },
  {
    key: "connect_timeout",
    flag: "--connect-timeout <seconds>",
    env: ["SWITCHYARD_CONNECT_TIMEOUT"],
    description: "seconds to wait for a TCP connection to an upstream",
  },
  {
    key: "max_retries",
    flag: "--max-retries <n>",
    env: ["MAX_RETRIES", "SWITCHYARD_MAX_RETRIES"],
    description: "extra attempts on other backends after a connection error or 5xx (502 after)",
  },
  {
    key: "body_limit",
    flag: "--body-limit <bytes>",
    env: ["SWITCHYARD_BODY_LIMIT"],
    description: "largest request body accepted (413 above)",
  },
  {
    key: "log_level",
    flag: "--log-level <level>",
    env: ["LOG_LEVEL", "SWITCHYARD_LOG_LEVEL"],
    description: "fatal, error, warn, info, debug, trace or silent",
  },
];

/** The defaults, as the schema produces them from an empty object. */
export function defaultGatewayConfig(): GatewayConfig {
  return gatewayConfigSchema.parse({});
}
