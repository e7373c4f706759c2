/**
 * The gateway's configuration: every option once, with its default, the flag and the environment
 * variables that set it. Files (native, or the formats of the tools Switchyard replaces), env and flags are all validated here.
 * Precedence, lowest first: defaults, config file, environment, command-line flags.
 * @module
 */
import { isIP } from "node:net";
import { z } from "zod";
import { defineOptions } from "../options/declare.js";
import { isKnownStrategy, unknownStrategyMessage } from "./strategy-names.js";

/** Longest duration any setting takes: a week, well inside Node's timer range (2^31-1 ms). */
const MAX_SECONDS = 7 * 86_400;

/**
 * Seconds, kept to whole milliseconds because timers and fastify take integer milliseconds. A
 * negative value is refused (a timer would fire at once); `-0` is read as 0.
 */
const seconds = z.coerce
  .number()
  .nonnegative("must not be negative")
  .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
  .transform((value) => Math.round(value * 1000) / 1000 || 0);

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

/** `10.0.0.0/8`, `fd00::/8` or a single address (its own /32 or /128). */
function isAddressOrCidr(entry: string): boolean {
  const [base = "", bits] = entry.split("/");
  const family = isIP(base);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const value = Number(bits);
  return /^\d+$/.test(bits) && value <= (family === 4 ? 32 : 128);
}

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

/** A value given as itself, or as JSON text (env vars, flags); text that is not JSON fails `schema`. */
function jsonText<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }, schema);
}

/** APIs a backend can declare it serves natively (`native_apis`). */
export const NATIVE_APIS = ["responses", "messages"] as const;
export type NativeApi = (typeof NATIVE_APIS)[number];

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
  /**
   * APIs an OpenAI-kind backend serves itself besides chat completions (vLLM, SGLang, Ollama and
   * llama.cpp serve `/v1/messages`; vLLM, SGLang, Ollama and LM Studio `/v1/responses`): requests
   * of those APIs are piped to it untranslated.
   */
  native_apis: z.array(z.enum(NATIVE_APIS)).default([]),
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
      /** serve's `--device-map`, `--engine` and `--cache-dir` (a SafeTensors checkpoint's conversion). */
      device_map: z.string().min(1).optional(),
      engine: z.string().min(1).optional(),
      cache_dir: z.string().min(1).optional(),
    })
    .optional(),
});

export type BackendConfig = z.infer<typeof backendSchema>;

/** Calendar periods in UTC (a week starts on Monday), or a window of `window` seconds that rolls. */
export const BUDGET_PERIODS = ["day", "week", "month", "rolling"] as const;

/**
 * A spending limit: USD and/or tokens (prompt + completion) over a period. The longest rolling
 * window is 366 days.
 */
export const budgetSchema = z
  .strictObject({
    usd: z.coerce.number().positive().optional(),
    tokens: z.coerce.number().int().positive().optional(),
    period: z.enum(BUDGET_PERIODS),
    /** Seconds of a rolling window. */
    window: z.coerce
      .number()
      .int()
      .min(60)
      .max(366 * 86_400)
      .optional(),
  })
  .refine((budget) => budget.usd !== undefined || budget.tokens !== undefined, {
    message: "give usd, tokens or both",
    path: ["usd"],
  })
  .refine((budget) => (budget.period === "rolling") === (budget.window !== undefined), {
    message: "a rolling period needs window (seconds), and only a rolling period takes one",
    path: ["window"],
  });

export type BudgetConfig = z.infer<typeof budgetSchema>;

/** Free-form labels of a key (`team`, `user`, …); `team` selects the team's budgets. */
export const keyMetadataSchema = z.record(z.string().min(1).max(64), z.string().max(256));

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
    /** Spending limits of this key (usage/budgets.ts). */
    budgets: z.array(budgetSchema).default([]),
    /** Labels; `team` adds the team's budgets from `team_budgets`. */
    metadata: keyMetadataSchema.default({}),
  })
  .refine((client) => (client.key === undefined) !== (client.key_sha256 === undefined), {
    message: "give exactly one of key and key_sha256",
  });

export type ClientKeyConfig = z.infer<typeof clientKeySchema>;

/**
 * Every scalar setting of the gateway: its type and default, flag, env variables (first match wins;
 * the names of the tools Switchyard replaces come first where one defined them) and help. The
 * loader (load.ts) reads the env variables itself, under the config file and over the defaults.
 */
export const GATEWAY_OPTIONS = defineOptions({
  host: {
    type: z.string().min(1).default("127.0.0.1"),
    flag: "--host <host>",
    env: ["SWITCHYARD_HOST"],
    envReadByCaller: true,
    help: "address to bind",
  },
  port: {
    type: z.coerce.number().int().min(0).max(65535).default(8080),
    flag: "--port <port>",
    env: ["LOAD_BALANCER_PORT", "SWITCHYARD_PORT"],
    envReadByCaller: true,
    help: "port to listen on (0 picks a free one)",
  },
  strategy: {
    type: strategyName.default("least_connections"),
    flag: "--strategy <name>",
    env: ["ROUTING_STRATEGY", "SWITCHYARD_STRATEGY"],
    envReadByCaller: true,
    help: "load-balancing strategy (other spellings such as ROUND_ROBIN accepted)",
  },
  model_strategies: {
    type: textMap(strategyName).default({}),
    flag: "--model-strategies <map>",
    env: ["SWITCHYARD_MODEL_STRATEGIES"],
    envReadByCaller: true,
    help: "per-model strategy overrides: `model=least_loaded,…` or a JSON object",
  },
  latency_decay: {
    type: z.coerce
      .number()
      .min(0.001, "must be at least 0.001 seconds")
      .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
      .default(10),
    flag: "--latency-decay <seconds>",
    env: ["SWITCHYARD_LATENCY_DECAY"],
    envReadByCaller: true,
    help: "time constant of the latency strategy's peak-EWMA: how fast an old time to first byte fades",
  },
  hash_ring_points: {
    type: z.coerce.number().int().min(1).max(10_000).default(160),
    flag: "--hash-ring-points <n>",
    env: ["SWITCHYARD_HASH_RING_POINTS"],
    envReadByCaller: true,
    help: "points per backend on the sticky, prefix_cache and prefix_aware hash rings (more: a more even spread)",
  },
  prefix_block_chars: {
    type: z.coerce.number().int().min(16).max(65_536).default(256),
    flag: "--prefix-block-chars <n>",
    env: ["SWITCHYARD_PREFIX_BLOCK_CHARS"],
    envReadByCaller: true,
    help: "characters per hashed prompt block of the prefix_aware strategy (about 4 per token)",
  },
  prefix_cache_blocks: {
    type: z.coerce.number().int().min(1).max(10_000_000).default(8192),
    flag: "--prefix-cache-blocks <n>",
    env: ["SWITCHYARD_PREFIX_CACHE_BLOCKS"],
    envReadByCaller: true,
    help: "prompt blocks prefix_aware believes each backend's KV cache holds (least recently used forgotten first)",
  },
  prefix_load_bound: {
    type: z.coerce.number().min(1).max(100).default(1.25),
    flag: "--prefix-load-bound <ratio>",
    env: ["SWITCHYARD_PREFIX_LOAD_BOUND"],
    envReadByCaller: true,
    help: "most load prefix_aware puts on a backend, as a multiple of the mean, while another is below it; on an idle fleet, falling to 1 as the fleet's load nears its capacity",
  },
  health_interval: {
    type: seconds.default(30),
    flag: "--health-interval <seconds>",
    env: ["SWITCHYARD_HEALTH_INTERVAL"],
    envReadByCaller: true,
    help: "seconds between active health checks (0 disables them)",
  },
  health_timeout: {
    type: seconds.default(5),
    flag: "--health-timeout <seconds>",
    env: ["SWITCHYARD_HEALTH_TIMEOUT"],
    envReadByCaller: true,
    help: "hard timeout of one health check",
  },
  request_timeout: {
    type: seconds.default(300),
    flag: "--request-timeout <seconds>",
    env: ["REQUEST_TIMEOUT_SECS", "SWITCHYARD_REQUEST_TIMEOUT"],
    envReadByCaller: true,
    help: "deadline, in seconds from the request's arrival, for its answer to start, retries included (504 after); also the longest silence between two body chunks (0: none)",
  },
  attempt_timeout: {
    type: seconds.default(0),
    flag: "--attempt-timeout <seconds>",
    env: ["SWITCHYARD_ATTEMPT_TIMEOUT"],
    envReadByCaller: true,
    help: "longest one attempt waits for a backend's answer to start before retrying on another, within request_timeout (0: all the time left)",
  },
  first_byte_timeout: {
    type: seconds.default(30),
    flag: "--first-byte-timeout <seconds>",
    env: ["SWITCHYARD_FIRST_BYTE_TIMEOUT"],
    envReadByCaller: true,
    help: "longest a streaming attempt waits for the backend's response headers before retrying on another, within request_timeout; a started stream is never cut by it, a longer non-streamed wait only counts towards ejecting the backend (0: off)",
  },
  hedge_after: {
    type: seconds.default(30),
    flag: "--hedge-after <seconds>",
    env: ["SWITCHYARD_HEDGE_AFTER"],
    envReadByCaller: true,
    help: "seconds a non-streamed attempt waits for its answer before a second attempt starts on another backend, the first answer winning; at least twice the model's recent p99 answer time (0: off)",
  },
  model_hedge_after: {
    type: textMap(seconds).default({}),
    flag: "--model-hedge-after <map>",
    env: ["SWITCHYARD_MODEL_HEDGE_AFTER"],
    envReadByCaller: true,
    help: "per-model hedge_after overrides: `model=120,…` or a JSON object (0 turns hedging off for that model, e.g. one served by a paid API)",
  },
  connect_timeout: {
    type: seconds.default(10),
    flag: "--connect-timeout <seconds>",
    env: ["SWITCHYARD_CONNECT_TIMEOUT"],
    envReadByCaller: true,
    help: "seconds to wait for a TCP connection to an upstream",
  },
  upstream_connections: {
    type: z.coerce.number().int().nonnegative().default(1024),
    flag: "--upstream-connections <n>",
    env: ["SWITCHYARD_UPSTREAM_CONNECTIONS"],
    envReadByCaller: true,
    help: "most connections open to one backend origin; requests beyond wait for one, shown as `queued` in /status (0: no bound)",
  },
  upstream_http2: {
    type: flag.default(true),
    flag: "--upstream-http2 <bool>",
    env: ["SWITCHYARD_UPSTREAM_HTTP2"],
    envReadByCaller: true,
    help: "speak HTTP/2 to https backends that offer it (learnt by ALPN), so many streams share a few connections; http backends always use HTTP/1.1",
  },
  upstream_http2_streams: {
    type: z.coerce.number().int().positive().default(100),
    flag: "--upstream-http2-streams <n>",
    env: ["SWITCHYARD_UPSTREAM_HTTP2_STREAMS"],
    envReadByCaller: true,
    help: "most concurrent streams on one HTTP/2 connection to a backend; another connection opens when all are full",
  },
  max_retries: {
    type: z.coerce.number().int().nonnegative().default(2),
    flag: "--max-retries <n>",
    env: ["MAX_RETRIES", "SWITCHYARD_MAX_RETRIES"],
    envReadByCaller: true,
    help: "extra attempts on other backends after a connection error, 5xx or attempt timeout, within request_timeout (502 after)",
  },
  stream_resume: {
    type: flag.default(false),
    flag: "--stream-resume <bool>",
    env: ["SWITCHYARD_STREAM_RESUME"],
    envReadByCaller: true,
    help: "continue chat streams broken mid-way on another backend for every request (else per request: x-switchyard-stream-resume: true)",
  },
  body_limit: {
    type: z.coerce
      .number()
      .int()
      .positive()
      .default(32 * 1024 * 1024),
    flag: "--body-limit <bytes>",
    env: ["SWITCHYARD_BODY_LIMIT"],
    envReadByCaller: true,
    help: "largest request body accepted (413 above)",
  },
  max_upstream_body_bytes: {
    type: z.coerce
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    flag: "--max-upstream-body-bytes <bytes>",
    env: ["SWITCHYARD_MAX_UPSTREAM_BODY_BYTES"],
    envReadByCaller: true,
    help: "largest non-streamed answer read from a backend (above: that attempt fails, retried elsewhere, else 502), and longest stream the gateway parses (cut with an error event)",
  },
  max_header_bytes: {
    type: z.coerce
      .number()
      .int()
      .positive()
      .default(16 * 1024),
    flag: "--max-header-bytes <bytes>",
    env: ["SWITCHYARD_MAX_HEADER_BYTES"],
    envReadByCaller: true,
    help: "largest request line plus headers accepted (431 above)",
  },
  max_url_bytes: {
    type: z.coerce
      .number()
      .int()
      .nonnegative()
      .default(8 * 1024),
    flag: "--max-url-bytes <bytes>",
    env: ["SWITCHYARD_MAX_URL_BYTES"],
    envReadByCaller: true,
    help: "longest request URL accepted (414 above; 0: only max_header_bytes bounds it)",
  },
  max_messages: {
    type: z.coerce.number().int().nonnegative().default(10_000),
    flag: "--max-messages <n>",
    env: ["SWITCHYARD_MAX_MESSAGES"],
    envReadByCaller: true,
    help: "most messages in one chat or Messages request (400 above; 0: no limit)",
  },
  circuit_breaker_threshold: {
    type: z.coerce.number().int().nonnegative().default(5),
    flag: "--circuit-breaker-threshold <n>",
    env: ["CIRCUIT_BREAKER_THRESHOLD"],
    envReadByCaller: true,
    help: "consecutive failures that open a backend's circuit (0 disables the breaker)",
  },
  circuit_breaker_ttl: {
    type: seconds.default(30),
    flag: "--circuit-breaker-ttl <seconds>",
    env: ["CIRCUIT_BREAKER_TTL_SECS"],
    envReadByCaller: true,
    help: "seconds a circuit stays open before one probe request may test it",
  },
  default_max_connections: {
    type: z.coerce.number().int().nonnegative().default(0),
    flag: "--default-max-connections <n>",
    env: ["DEFAULT_MAXCONN"],
    envReadByCaller: true,
    help: "concurrency cap of backends that set none (0: no cap)",
  },
  max_connections_map: {
    type: textMap(z.coerce.number().int().nonnegative()).default({}),
    flag: "--max-connections-map <map>",
    env: ["MAXCONN_MAP"],
    envReadByCaller: true,
    help: "per-backend caps: `name=4,host:port=8` or a JSON object; keys are backend names or host:port",
  },
  queue_size: {
    type: z.coerce.number().int().nonnegative().default(100),
    flag: "--queue-size <n>",
    env: ["SWITCHYARD_QUEUE_SIZE"],
    envReadByCaller: true,
    help: "requests that may wait for a free backend when all are at their cap (429 beyond)",
  },
  queue_timeout: {
    type: seconds.default(30),
    flag: "--queue-timeout <seconds>",
    env: ["SWITCHYARD_QUEUE_TIMEOUT"],
    envReadByCaller: true,
    help: "longest wait for a free backend before 429",
  },
  /** SLO admission (routing/slo-admission.ts): off at 0. */
  ttft_slo: {
    type: seconds.default(0),
    flag: "--ttft-slo <seconds>",
    env: ["SWITCHYARD_TTFT_SLO"],
    envReadByCaller: true,
    help: "time-to-first-token target: while every backend's expected wait exceeds it, a request waits up to slo_queue_timeout, then gets 429 slo_shed (0: off)",
  },
  model_ttft_slos: {
    type: textMap(seconds).default({}),
    flag: "--model-ttft-slos <map>",
    env: ["SWITCHYARD_MODEL_TTFT_SLOS"],
    envReadByCaller: true,
    help: "per-model ttft_slo overrides: `model=2,…` or a JSON object (0 turns it off for that model)",
  },
  slo_queue_timeout: {
    type: seconds.optional(),
    flag: "--slo-queue-timeout <seconds>",
    env: ["SWITCHYARD_SLO_QUEUE_TIMEOUT"],
    envReadByCaller: true,
    shownDefault: "ttft_slo",
    help: "longest a request waits for a backend whose expected wait meets its ttft_slo before 429 slo_shed",
  },
  /** KV admission (routing/kv-gate.ts): off unless on and the backend's KV capacity is known. */
  kv_admission: {
    type: flag.default(false),
    flag: "--kv-admission <bool>",
    env: ["SWITCHYARD_KV_ADMISSION"],
    envReadByCaller: true,
    help: "hold each request in its backend's gateway queue while that engine's KV working set is full (backends whose KV capacity is known: kv_cache_tokens, else the engine's own /metrics)",
  },
  kv_cache_tokens: {
    type: z.coerce.number().int().nonnegative().default(0),
    flag: "--kv-cache-tokens <n>",
    env: ["SWITCHYARD_KV_CACHE_TOKENS"],
    envReadByCaller: true,
    help: "KV cache capacity in tokens of backends kv_cache_tokens_map does not name (0: what the engine states at /metrics, else not gated)",
  },
  kv_cache_tokens_map: {
    type: textMap(z.coerce.number().int().nonnegative()).default({}),
    flag: "--kv-cache-tokens-map <map>",
    env: ["SWITCHYARD_KV_CACHE_TOKENS_MAP"],
    envReadByCaller: true,
    help: "per-backend KV cache capacity in tokens: `name=400000,host:port=…` or a JSON object",
  },
  kv_admission_hold: {
    type: seconds.default(1.5),
    flag: "--kv-admission-hold <seconds>",
    env: ["SWITCHYARD_KV_ADMISSION_HOLD"],
    envReadByCaller: true,
    help: "how long a finished request's prompt stays counted in its engine's working set, for its session's next turn",
  },
  kv_admission_wait: {
    type: seconds.default(15),
    flag: "--kv-admission-wait <seconds>",
    env: ["SWITCHYARD_KV_ADMISSION_WAIT"],
    envReadByCaller: true,
    help: "a request queued this long goes first, whatever its engine holds of its prompt",
  },
  unhealthy_threshold: {
    type: z.coerce.number().int().positive().default(2),
    flag: "--unhealthy-threshold <n>",
    env: ["SWITCHYARD_UNHEALTHY_THRESHOLD"],
    envReadByCaller: true,
    help: "failed health checks in a row that take a backend out",
  },
  healthy_threshold: {
    type: z.coerce.number().int().positive().default(1),
    flag: "--healthy-threshold <n>",
    env: ["SWITCHYARD_HEALTHY_THRESHOLD"],
    envReadByCaller: true,
    help: "passed health checks in a row that bring a backend back",
  },
  model_sentinels: {
    type: list.default(["auto", "default"]),
    flag: "--model-sentinels <list>",
    env: ["MODEL_SENTINELS"],
    envReadByCaller: true,
    help: "model names that mean 'pick one for me'",
  },
  lm_model: {
    type: z.string().default("auto"),
    flag: "--lm-model <name>",
    env: ["LM_MODEL"],
    envReadByCaller: true,
    help: "one more sentinel model name",
  },
  preferred_models: {
    type: list.default([]),
    flag: "--preferred-models <list>",
    env: ["PREFERRED_MODELS"],
    envReadByCaller: true,
    help: "for a sentinel, the first of these with a healthy backend; else the first model listed",
  },
  /** ai-lb reserves this; `any_first` (the only value) takes the first preferred, else the first listed. */
  auto_model_strategy: {
    type: z.enum(["any_first"]).default("any_first"),
    flag: "--auto-model-strategy <name>",
    env: ["AUTO_MODEL_STRATEGY"],
    envReadByCaller: true,
    help: "how a sentinel picks its model; ai-lb reserves it and defines only any_first",
  },
  aliases: {
    type: textMap(z.string().min(1)).default({}),
    flag: "--aliases <map>",
    env: ["SWITCHYARD_ALIASES"],
    envReadByCaller: true,
    help: "model aliases: `alias=model,…` or a JSON object; the real name is forwarded",
  },
  register_allowlist: {
    type: list.default([]),
    flag: "--register-allowlist <list>",
    env: ["SWITCHYARD_REGISTER_ALLOWLIST"],
    envReadByCaller: true,
    help: "hosts and CIDRs POST /backends/register may name (empty: any but link-local and metadata)",
  },
  backend_deny_ranges: {
    type: list
      .refine((entries) => entries.every(isAddressOrCidr), "each entry must be an IP address or CIDR range")
      .default([]),
    flag: "--backend-deny-ranges <list>",
    env: ["SWITCHYARD_BACKEND_DENY_RANGES"],
    envReadByCaller: true,
    help: "CIDRs no backend may connect to, checked at registration and on every connection, besides link-local and metadata addresses",
  },
  /** Gateway API keys; when any is set, inference routes require one (JSON text in env and flags). */
  client_keys: {
    type: z
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
    flag: "--client-keys <json>",
    env: ["SWITCHYARD_CLIENT_KEYS"],
    envReadByCaller: true,
    help: 'gateway API keys as JSON: [{"name","key" or "key_sha256","models","rpm","tpm"}]; any set makes keys required',
  },
  /** USD per million tokens per model name or `*` pattern, over the default table (usage/prices.ts). */
  prices: {
    type: jsonText(
      z.record(
        z.string().min(1),
        z.strictObject({
          input: z.coerce.number().nonnegative(),
          output: z.coerce.number().nonnegative(),
          cached_input: z.coerce.number().nonnegative().optional(),
        }),
      ),
    ).default({}),
    flag: "--prices <json>",
    env: ["SWITCHYARD_PRICES"],
    envReadByCaller: true,
    help: 'USD per million tokens as JSON: {"model or pattern*":{"input","output","cached_input"}}; over the default table',
  },
  default_prices: {
    type: flag.default(true),
    flag: "--default-prices <bool>",
    env: ["SWITCHYARD_DEFAULT_PRICES"],
    envReadByCaller: true,
    help: "price well-known hosted models (gpt-*, claude-*) from the table kept in the package when `prices` does not name them",
  },
  /** Budgets shared by every key whose metadata names the team. */
  team_budgets: {
    type: jsonText(z.record(z.string().min(1), z.array(budgetSchema))).default({}),
    flag: "--team-budgets <json>",
    env: ["SWITCHYARD_TEAM_BUDGETS"],
    envReadByCaller: true,
    help: 'budgets per team as JSON: {"team":[{"usd" and/or "tokens","period":"day|week|month|rolling","window"}]}; keys join a team by metadata.team',
  },
  budget_default_max_tokens: {
    type: z.coerce.number().int().positive().default(4096),
    flag: "--budget-default-max-tokens <n>",
    env: ["SWITCHYARD_BUDGET_DEFAULT_MAX_TOKENS"],
    envReadByCaller: true,
    help: "completion tokens a budgeted request without max_tokens is reserved for (its worst case) until it settles",
  },
  /** A reload that would leave no backend, or a model without one, is refused unless this is set. */
  allow_empty_backends: {
    type: flag.default(false),
    flag: "--allow-empty-backends [bool]",
    env: ["SWITCHYARD_ALLOW_EMPTY_BACKENDS"],
    envReadByCaller: true,
    help: "let a hot reload remove the last backend, or every backend of a model (refused otherwise, the running config kept)",
  },
  admin_token: {
    type: z.string().optional(),
    flag: "--admin-token <token>",
    env: ["SWITCHYARD_ADMIN_TOKEN"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "bearer token required by the /backends admin routes",
  },
  scan_hosts: {
    type: list.default([]),
    flag: "--scan-hosts <list>",
    env: ["SCAN_HOSTS"],
    envReadByCaller: true,
    help: "hosts to scan for OpenAI-compatible servers (with --scan-ports)",
  },
  scan_ports: {
    type: list.default([]),
    flag: "--scan-ports <list>",
    env: ["SCAN_PORTS"],
    envReadByCaller: true,
    help: "ports or ranges to scan, e.g. `8000-8010,11434`",
  },
  scan_interval: {
    type: seconds.default(60),
    flag: "--scan-interval <seconds>",
    env: ["SCAN_INTERVAL"],
    envReadByCaller: true,
    help: "seconds between discovery scans (0: scan once at start)",
  },
  load_interval: {
    type: seconds.default(5),
    flag: "--load-interval <seconds>",
    env: ["SWITCHYARD_LOAD_INTERVAL"],
    envReadByCaller: true,
    help: "seconds between scrapes of backends' /metrics for their queue depth (0: never)",
  },
  client_timeout: {
    type: seconds.default(30),
    flag: "--client-timeout <seconds>",
    env: ["SWITCHYARD_CLIENT_TIMEOUT"],
    envReadByCaller: true,
    help: "longest a client may take to send its whole request (slow senders are cut off)",
  },
  send_timeout: {
    type: seconds.default(60),
    flag: "--send-timeout <seconds>",
    env: ["SWITCHYARD_SEND_TIMEOUT"],
    envReadByCaller: true,
    help: "longest an answer may wait to be written to a client that stops reading; the connection is closed after (0: never)",
  },
  keep_alive_timeout: {
    // Node reads 0 as "never close an idle connection", which would let idle clients keep every slot.
    type: seconds.refine((value) => value > 0, "must be above 0").default(72),
    flag: "--keep-alive-timeout <seconds>",
    env: ["SWITCHYARD_KEEP_ALIVE_TIMEOUT"],
    envReadByCaller: true,
    help: "longest an idle client connection is kept open between requests, an answer left unread in the kernel's buffers included",
  },
  max_connections_per_ip: {
    type: z.coerce.number().int().nonnegative().default(0),
    flag: "--max-connections-per-ip <n>",
    env: ["SWITCHYARD_MAX_CONNECTIONS_PER_IP"],
    envReadByCaller: true,
    help: "open client connections accepted from one address (more are closed at once; 0: no cap)",
  },
  max_client_connections: {
    type: z.coerce.number().int().nonnegative().default(10_000),
    flag: "--max-client-connections <n>",
    env: ["SWITCHYARD_MAX_CLIENT_CONNECTIONS"],
    envReadByCaller: true,
    help: "open client connections accepted at once (0: no cap)",
  },
  shutdown_timeout: {
    type: seconds.default(30),
    flag: "--shutdown-timeout <seconds>",
    env: ["SWITCHYARD_SHUTDOWN_TIMEOUT"],
    envReadByCaller: true,
    help: "on SIGTERM, how long requests and streams in flight may take to finish",
  },
  /** Replicas share state (registrations, circuits, global caps) through this Redis; none: in memory. */
  redis: {
    type: z.url({ protocol: /^rediss?$/ }).optional(),
    flag: "--redis <url>",
    env: ["SWITCHYARD_REDIS_URL"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "share state between replicas through this Redis (redis://host:port); REDIS_HOST/REDIS_PORT also set it",
  },
  /** Inserted into every Redis key, so several fleets can share one server. */
  redis_namespace: {
    type: z.string().min(1).optional(),
    flag: "--redis-namespace <name>",
    env: ["SWITCHYARD_REDIS_NAMESPACE"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "prefix of this fleet's Redis keys, so several fleets can share one server",
  },
  /** Seals the api_keys of registrations shared through Redis (AES-256-GCM); required to share keys. */
  state_secret: {
    type: z.string().min(1).optional(),
    flag: "--state-secret <secret>",
    env: ["SWITCHYARD_STATE_SECRET"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "secret (the same on every replica) that encrypts api_keys of registrations shared through Redis",
  },
  /** Seconds a global inflight lease lives unless renewed (a crashed replica's leases vanish after it). */
  lease_ttl: {
    type: z.coerce
      .number()
      .positive()
      .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
      .default(60),
    flag: "--lease-ttl <seconds>",
    env: ["SWITCHYARD_LEASE_TTL"],
    envReadByCaller: true,
    help: "seconds a global inflight lease lives unless renewed (with --redis and a cap)",
  },
  /** Responses kept for `previous_response_id` and `GET /v1/responses/{id}` (`store: true`). */
  response_store_max_entries: {
    type: z.coerce.number().int().positive().max(10_000_000).default(10_000),
    flag: "--response-store-max-entries <n>",
    env: ["SWITCHYARD_RESPONSE_STORE_MAX_ENTRIES"],
    envReadByCaller: true,
    help: "most stored responses (store: true) kept at once; the oldest go first",
  },
  response_store_max_bytes: {
    type: z.coerce
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024),
    flag: "--response-store-max-bytes <bytes>",
    env: ["SWITCHYARD_RESPONSE_STORE_MAX_BYTES"],
    envReadByCaller: true,
    help: "most bytes (JSON) of stored responses kept at once, in memory or in Redis; the oldest go first",
  },
  response_store_max_entry_bytes: {
    type: z.coerce
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024),
    flag: "--response-store-max-entry-bytes <bytes>",
    env: ["SWITCHYARD_RESPONSE_STORE_MAX_ENTRY_BYTES"],
    envReadByCaller: true,
    help: "largest stored response, its whole conversation included; a larger one is answered but not kept",
  },
  response_store_ttl: {
    type: z.coerce
      .number()
      .positive()
      .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} seconds (a week)`)
      .default(86_400),
    flag: "--response-store-ttl <seconds>",
    env: ["SWITCHYARD_RESPONSE_STORE_TTL"],
    envReadByCaller: true,
    help: "seconds a stored response is kept after it was made",
  },
  /** What a Responses request's hosted tools (web_search, file_search, …) meet on a backend that cannot run them. */
  responses_hosted_tools: {
    type: z.enum(["drop", "reject"]).default("drop"),
    flag: "--responses-hosted-tools <policy>",
    env: ["SWITCHYARD_RESPONSES_HOSTED_TOOLS"],
    envReadByCaller: true,
    help: "hosted tools of a Responses request bridged to a chat backend: drop (named in x-switchyard-dropped-tools) or reject (400)",
  },
  log_level: {
    type: z
      .string()
      .toLowerCase()
      .pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
      .default("info"),
    flag: "--log-level <level>",
    env: ["LOG_LEVEL", "SWITCHYARD_LOG_LEVEL"],
    envReadByCaller: true,
    help: "fatal, error, warn, info, debug, trace or silent",
  },
  /** The request ledger (src/ledger/); unset: on when database_url is set. */
  ledger: {
    type: flag.optional(),
    flag: "--ledger [bool]",
    env: ["SWITCHYARD_LEDGER"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "record one row per request in a SQL database: `--ledger` or true/false (unset: on when database_url is set)",
  },
  /** PGlite's data directory, when the ledger is on without database_url. */
  ledger_dir: {
    type: z.string().min(1).default("switchyard-data/ledger"),
    flag: "--ledger-dir <dir>",
    env: ["SWITCHYARD_LEDGER_DIR"],
    envReadByCaller: true,
    help: "the embedded database's directory (without database_url), relative to the working directory",
  },
  /** A Postgres server for the ledger: what replicas share. */
  database_url: {
    type: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    flag: "--database-url <url>",
    env: ["SWITCHYARD_DATABASE_URL", "DATABASE_URL"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "the ledger's Postgres server (postgres://user:pass@host:5432/db), shared by replicas; turns the ledger on",
  },
  ledger_keep_text: {
    type: flag.default(false),
    flag: "--ledger-keep-text [bool]",
    env: ["SWITCHYARD_LEDGER_KEEP_TEXT"],
    envReadByCaller: true,
    help: "also keep each request's prompt (its JSON body) and a JSON answer's body in the ledger",
  },
  ledger_retention: {
    type: z.coerce.number().int().nonnegative().default(30),
    flag: "--ledger-retention <days>",
    env: ["SWITCHYARD_LEDGER_RETENTION"],
    envReadByCaller: true,
    help: "days kept prompt and completion text stays in the ledger before it is cleared (0: kept)",
  },
  /** One line per request (access-log.ts); unset: on when log_level is debug or trace. */
  access_log: {
    type: flag.optional(),
    flag: "--access-log [bool]",
    env: ["SWITCHYARD_ACCESS_LOG"],
    envReadByCaller: true,
    shownDefault: "none",
    help: "one log line per request: `--access-log` or true/false (unset: on when log_level is debug or trace)",
  },
});

/** The settings in the order `--help` and the README list them. */
export const GATEWAY_SETTINGS = GATEWAY_OPTIONS.entries;

export const gatewayConfigSchema = z.strictObject({
  ...GATEWAY_OPTIONS.schema.shape,
  backends: z.array(backendSchema).default([]),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewaySettingKey = Exclude<keyof GatewayConfig, "backends">;

/** The defaults, as the schema produces them from an empty object. */
export function defaultGatewayConfig(): GatewayConfig {
  return gatewayConfigSchema.parse({});
}
