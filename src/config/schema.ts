/**
 * The gateway's configuration: every option once, with its default, the flag and the environment
 * variables that set it. Files (native, or the formats of the tools Switchyard replaces), env and flags are all validated here.
 * Precedence, lowest first: defaults, config file, environment, command-line flags.
 * @module
 */
import { z } from "zod";
import { isKnownStrategy, unknownStrategyMessage } from "./strategy-names.js";

/** Longest duration any setting takes: a week, well inside Node's timer range (2^31-1 ms). */
const MAX_SECONDS = 7 * 86_400;

/** Seconds, kept to whole milliseconds because timers and fastify take integer milliseconds. */
const seconds = z.coerce
  .number()
  .nonnegative()
  .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
  .transform((value) => Math.round(value * 1000) / 1000);

/** A strategy in any accepted spelling (`ROUND_ROBIN`, `p2c`, …), checked here so a typo fails at load. */
const strategyName = z
  .string()
  .min(1)
  .refine(isKnownStrategy, {
    error: (issue) => unknownStrategyMessage(String(issue.input)),
  });

/** A boolean given as one, or as text (`true`/`false`, `1`/`0`, `yes`/`no`) from env vars and flags. */
const flag = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  const text = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(text)) return true;
  if (["false", "0", "no", "off", ""].includes(text)) return false;
  return value;
}, z.boolean());

/** A list given as an array, or as text separated by commas or semicolons (env vars, flags). */
const list = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value
          .split(/[,;]/)
          .map((item) => item.trim())
          .filter((item) => item.length > 0)
      : value,
  z.array(z.string().min(1)),
);

/** A map given as an object, as JSON text, or as `key=value,key=value` text (env vars, flags). */
function textMap<T extends z.ZodType>(valueSchema: T) {
  return z.preprocess(
    (value) => {
      if (typeof value !== "string") return value;
      const text = value.trim();
      if (text.startsWith("{")) {
        try {
          return JSON.parse(text);
        } catch {
          return value;
        }
      }
      const entries = text
        .split(/[,;]/)
        .map((pair) => pair.trim())
        .filter((pair) => pair.length > 0)
        .map((pair) => {
          const at = pair.lastIndexOf("=");
          return at < 0 ? [pair, ""] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
        });
      return Object.fromEntries(entries);
    },
    z.record(z.string().min(1), valueSchema),
  );
}

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
  /** Active health checks probe this path; "" turns them off (hosted APIs: failures still count). */
  health_path: z
    .string()
    .refine(
      (path) => path === "" || path.startsWith("/"),
      "must start with / (or be empty to turn checks off)",
    )
    .default("/health"),
  /** Upstream API keys, used round robin in place of the client's credentials. */
  api_keys: z.array(z.string().min(1)).default([]),
  /** Models this backend takes when no backend lists them by name: `gpt-*`, `claude-*`, exact names. */
  model_patterns: z.array(z.string().min(1)).default([]),
  /** Separate reasoning from answers in every chat response of this backend, asked or not. */
  separate_reasoning: z.boolean().default(false),
  /** From the two-model router's file: how to start this backend (a shell command); `switchyard cluster --config` runs it. */
  start_command: z.string().optional(),
  /** A `switchyard serve` process for this backend, started by `switchyard cluster --config` on the URL's port. */
  serve: z
    .strictObject({
      model_path: z.string().min(1),
      model_type: z.string().min(1).optional(),
      threads: z.coerce.number().int().positive().optional(),
      max_concurrent: z.coerce.number().int().positive().optional(),
      max_queue: z.coerce.number().int().nonnegative().optional(),
      context_size: z.coerce.number().int().positive().optional(),
    })
    .optional(),
});

export type BackendConfig = z.infer<typeof backendSchema>;

/** A client of the gateway: its key (or the key's SHA-256), the models it may use and its limits. */
export const clientKeySchema = z
  .strictObject({
    name: z.string().min(1),
    /** The key itself; prefer `key_sha256` in files that others can read. */
    key: z.string().min(8).optional(),
    /** Hex SHA-256 of the key, so the config never holds the key. */
    key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i)
      .optional(),
    /** Model names or `*` patterns this key may use; empty: every model. */
    models: z.array(z.string().min(1)).default([]),
    /** Requests per minute; 0: no limit. */
    rpm: z.coerce.number().int().nonnegative().default(0),
    /** Tokens (prompt + completion, as responses report them) per minute; 0: no limit. */
    tpm: z.coerce.number().int().nonnegative().default(0),
  })
  .refine((client) => (client.key === undefined) !== (client.key_sha256 === undefined), {
    message: "give exactly one of key and key_sha256",
  });

export type ClientKeyConfig = z.infer<typeof clientKeySchema>;

export const gatewayConfigSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  strategy: strategyName.default("least_connections"),
  model_strategies: textMap(strategyName).default({}),
  /** Seconds: the time constant of the `latency` strategy's peak-EWMA decay. */
  latency_decay: z.coerce
    .number()
    .min(0.001, "must be at least 0.001 seconds")
    .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
    .default(10),
  /** Points per backend on the `sticky` and `prefix_cache` consistent-hash rings. */
  hash_ring_points: z.coerce.number().int().min(1).max(10_000).default(160),
  health_interval: seconds.default(30),
  health_timeout: seconds.default(5),
  request_timeout: seconds.default(300),
  attempt_timeout: seconds.default(0),
  connect_timeout: seconds.default(10),
  max_retries: z.coerce.number().int().nonnegative().default(2),
  stream_resume: flag.default(false),
  body_limit: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  max_header_bytes: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024),
  max_url_bytes: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(8 * 1024),
  max_messages: z.coerce.number().int().nonnegative().default(10_000),
  client_timeout: seconds.default(30),
  max_client_connections: z.coerce.number().int().nonnegative().default(10_000),
  shutdown_timeout: seconds.default(30),
  circuit_breaker_threshold: z.coerce.number().int().nonnegative().default(5),
  circuit_breaker_ttl: seconds.default(30),
  default_max_connections: z.coerce.number().int().nonnegative().default(0),
  max_connections_map: textMap(z.coerce.number().int().nonnegative()).default({}),
  queue_size: z.coerce.number().int().nonnegative().default(100),
  queue_timeout: seconds.default(30),
  unhealthy_threshold: z.coerce.number().int().positive().default(2),
  healthy_threshold: z.coerce.number().int().positive().default(1),
  model_sentinels: list.default(["auto", "default"]),
  lm_model: z.string().default("auto"),
  preferred_models: list.default([]),
  /** ai-lb reserves this; `any_first` (the only value) takes the first preferred, else the first listed. */
  auto_model_strategy: z.enum(["any_first"]).default("any_first"),
  aliases: textMap(z.string().min(1)).default({}),
  admin_token: z.string().optional(),
  /** Gateway API keys; when any is set, inference routes require one (JSON text in env and flags). */
  client_keys: z
    .preprocess((value) => {
      if (typeof value !== "string") return value;
      if (value.trim() === "") return [];
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    }, z.array(clientKeySchema))
    .default([]),
  register_allowlist: list.default([]),
  scan_hosts: list.default([]),
  scan_ports: list.default([]),
  scan_interval: seconds.default(60),
  load_interval: seconds.default(5),
  /** Replicas share state (registrations, circuits, global caps) through this Redis; none: in memory. */
  redis: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Inserted into every Redis key, so several fleets can share one server. */
  redis_namespace: z.string().min(1).optional(),
  /** Seals the api_keys of registrations shared through Redis (AES-256-GCM); required to share keys. */
  state_secret: z.string().min(1).optional(),
  /** Seconds a global inflight lease lives unless renewed (a crashed replica's leases vanish after it). */
  lease_ttl: z.coerce
    .number()
    .positive()
    .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
    .default(60),
  log_level: z
    .string()
    .toLowerCase()
    .pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .default("info"),
  /** One line per request (access-log.ts); unset: on when log_level is debug or trace. */
  access_log: flag.optional(),
  backends: z.array(backendSchema).default([]),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewaySettingKey = Exclude<keyof GatewayConfig, "backends">;

export interface SettingSpec {
  key: GatewaySettingKey;
  /** Commander flag syntax, e.g. `--port <port>`. */
  flag: string;
  /** Environment variables, first match wins; the names of the tools Switchyard replaces come first where one defined them. */
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
    description: "load-balancing strategy (other spellings such as ROUND_ROBIN accepted)",
  },
  {
    key: "model_strategies",
    flag: "--model-strategies <map>",
    env: ["SWITCHYARD_MODEL_STRATEGIES"],
    description: "per-model strategy overrides: `model=least_loaded,…` or a JSON object",
  },
  {
    key: "latency_decay",
    flag: "--latency-decay <seconds>",
    env: ["SWITCHYARD_LATENCY_DECAY"],
    description:
      "time constant of the latency strategy's peak-EWMA: how fast an old time to first byte fades",
  },
  {
    key: "hash_ring_points",
    flag: "--hash-ring-points <n>",
    env: ["SWITCHYARD_HASH_RING_POINTS"],
    description: "points per backend on the sticky and prefix_cache hash rings (more: a more even spread)",
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
      "deadline, in seconds from the request's arrival, for its answer to start, retries included (504 after); also the longest silence between two body chunks (0: none)",
  },
  {
    key: "attempt_timeout",
    flag: "--attempt-timeout <seconds>",
    env: ["SWITCHYARD_ATTEMPT_TIMEOUT"],
    description:
      "longest one attempt waits for a backend's answer to start before retrying on another, within request_timeout (0: all the time left)",
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
    description:
      "extra attempts on other backends after a connection error, 5xx or attempt timeout, within request_timeout (502 after)",
  },
  {
    key: "stream_resume",
    flag: "--stream-resume <bool>",
    env: ["SWITCHYARD_STREAM_RESUME"],
    description:
      "continue chat streams broken mid-way on another backend for every request (else per request: x-switchyard-stream-resume: true)",
  },
  {
    key: "body_limit",
    flag: "--body-limit <bytes>",
    env: ["SWITCHYARD_BODY_LIMIT"],
    description: "largest request body accepted (413 above)",
  },
  {
    key: "max_header_bytes",
    flag: "--max-header-bytes <bytes>",
    env: ["SWITCHYARD_MAX_HEADER_BYTES"],
    description: "largest request line plus headers accepted (431 above)",
  },
  {
    key: "max_url_bytes",
    flag: "--max-url-bytes <bytes>",
    env: ["SWITCHYARD_MAX_URL_BYTES"],
    description: "longest request URL accepted (414 above; 0: only max_header_bytes bounds it)",
  },
  {
    key: "max_messages",
    flag: "--max-messages <n>",
    env: ["SWITCHYARD_MAX_MESSAGES"],
    description: "most messages in one chat or Messages request (400 above; 0: no limit)",
  },
  {
    key: "circuit_breaker_threshold",
    flag: "--circuit-breaker-threshold <n>",
    env: ["CIRCUIT_BREAKER_THRESHOLD"],
    description: "consecutive failures that open a backend's circuit (0 disables the breaker)",
  },
  {
    key: "circuit_breaker_ttl",
    flag: "--circuit-breaker-ttl <seconds>",
    env: ["CIRCUIT_BREAKER_TTL_SECS"],
    description: "seconds a circuit stays open before one probe request may test it",
  },
  {
    key: "default_max_connections",
    flag: "--default-max-connections <n>",
    env: ["DEFAULT_MAXCONN"],
    description: "concurrency cap of backends that set none (0: no cap)",
  },
  {
    key: "max_connections_map",
    flag: "--max-connections-map <map>",
    env: ["MAXCONN_MAP"],
    description:
      "per-backend caps: `name=4,host:port=8` or a JSON object; keys are backend names or host:port",
  },
  {
    key: "queue_size",
    flag: "--queue-size <n>",
    env: ["SWITCHYARD_QUEUE_SIZE"],
    description: "requests that may wait for a free backend when all are at their cap (429 beyond)",
  },
  {
    key: "queue_timeout",
    flag: "--queue-timeout <seconds>",
    env: ["SWITCHYARD_QUEUE_TIMEOUT"],
    description: "longest wait for a free backend before 429",
  },
  {
    key: "unhealthy_threshold",
    flag: "--unhealthy-threshold <n>",
    env: ["SWITCHYARD_UNHEALTHY_THRESHOLD"],
    description: "failed health checks in a row that take a backend out",
  },
  {
    key: "healthy_threshold",
    flag: "--healthy-threshold <n>",
    env: ["SWITCHYARD_HEALTHY_THRESHOLD"],
    description: "passed health checks in a row that bring a backend back",
  },
  {
    key: "model_sentinels",
    flag: "--model-sentinels <list>",
    env: ["MODEL_SENTINELS"],
    description: "model names that mean 'pick one for me'",
  },
  {
    key: "lm_model",
    flag: "--lm-model <name>",
    env: ["LM_MODEL"],
    description: "one more sentinel model name",
  },
  {
    key: "preferred_models",
    flag: "--preferred-models <list>",
    env: ["PREFERRED_MODELS"],
    description: "for a sentinel, the first of these with a healthy backend; else the first model listed",
  },
  {
    key: "auto_model_strategy",
    flag: "--auto-model-strategy <name>",
    env: ["AUTO_MODEL_STRATEGY"],
    description: "how a sentinel picks its model; ai-lb reserves it and defines only any_first",
  },
  {
    key: "aliases",
    flag: "--aliases <map>",
    env: ["SWITCHYARD_ALIASES"],
    description: "model aliases: `alias=model,…` or a JSON object; the real name is forwarded",
  },
  {
    key: "register_allowlist",
    flag: "--register-allowlist <list>",
    env: ["SWITCHYARD_REGISTER_ALLOWLIST"],
    description: "hosts and CIDRs POST /backends/register may name (empty: any but link-local and metadata)",
  },
  {
    key: "client_keys",
    flag: "--client-keys <json>",
    env: ["SWITCHYARD_CLIENT_KEYS"],
    description:
      'gateway API keys as JSON: [{"name","key" or "key_sha256","models","rpm","tpm"}]; any set makes keys required',
  },
  {
    key: "admin_token",
    flag: "--admin-token <token>",
    env: ["SWITCHYARD_ADMIN_TOKEN"],
    description: "bearer token required by the /backends admin routes",
  },
  {
    key: "scan_hosts",
    flag: "--scan-hosts <list>",
    env: ["SCAN_HOSTS"],
    description: "hosts to scan for OpenAI-compatible servers (with --scan-ports)",
  },
  {
    key: "scan_ports",
    flag: "--scan-ports <list>",
    env: ["SCAN_PORTS"],
    description: "ports or ranges to scan, e.g. `8000-8010,11434`",
  },
  {
    key: "scan_interval",
    flag: "--scan-interval <seconds>",
    env: ["SCAN_INTERVAL"],
    description: "seconds between discovery scans (0: scan once at start)",
  },
  {
    key: "load_interval",
    flag: "--load-interval <seconds>",
    env: ["SWITCHYARD_LOAD_INTERVAL"],
    description: "seconds between scrapes of backends' /metrics for their queue depth (0: never)",
  },
  {
    key: "client_timeout",
    flag: "--client-timeout <seconds>",
    env: ["SWITCHYARD_CLIENT_TIMEOUT"],
    description: "longest a client may take to send its whole request (slow senders are cut off)",
  },
  {
    key: "max_client_connections",
    flag: "--max-client-connections <n>",
    env: ["SWITCHYARD_MAX_CLIENT_CONNECTIONS"],
    description: "open client connections accepted at once (0: no cap)",
  },
  {
    key: "shutdown_timeout",
    flag: "--shutdown-timeout <seconds>",
    env: ["SWITCHYARD_SHUTDOWN_TIMEOUT"],
    description: "on SIGTERM, how long requests and streams in flight may take to finish",
  },
  {
    key: "redis",
    flag: "--redis <url>",
    env: ["SWITCHYARD_REDIS_URL"],
    description:
      "share state between replicas through this Redis (redis://host:port); REDIS_HOST/REDIS_PORT also set it",
  },
  {
    key: "redis_namespace",
    flag: "--redis-namespace <name>",
    env: ["SWITCHYARD_REDIS_NAMESPACE"],
    description: "prefix of this fleet's Redis keys, so several fleets can share one server",
  },
  {
    key: "state_secret",
    flag: "--state-secret <secret>",
    env: ["SWITCHYARD_STATE_SECRET"],
    description:
      "secret (the same on every replica) that encrypts api_keys of registrations shared through Redis",
  },
  {
    key: "lease_ttl",
    flag: "--lease-ttl <seconds>",
    env: ["SWITCHYARD_LEASE_TTL"],
    description: "seconds a global inflight lease lives unless renewed (with --redis and a cap)",
  },
  {
    key: "log_level",
    flag: "--log-level <level>",
    env: ["LOG_LEVEL", "SWITCHYARD_LOG_LEVEL"],
    description: "fatal, error, warn, info, debug, trace or silent",
  },
  {
    key: "access_log",
    flag: "--access-log [bool]",
    env: ["SWITCHYARD_ACCESS_LOG"],
    description:
      "one log line per request: `--access-log` or true/false (unset: on when log_level is debug or trace)",
  },
];

/** The defaults, as the schema produces them from an empty object. */
export function defaultGatewayConfig(): GatewayConfig {
  return gatewayConfigSchema.parse({});
}

/** A setting's default as `--help` and the README show it. */
export function formatSettingDefault(value: unknown): string {
  if (value === undefined) return "none";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
