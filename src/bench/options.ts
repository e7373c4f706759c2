/**
 * A bench run's options: the defaults, the flags declared once (src/options/: type, default, flag,
 * help), and `resolveBenchOptions`, which turns validated flags into one plan: the target, the model
 * mix, the load mode, the workload and the outputs. Pure; the caller reads files first.
 * @module
 */
import { z } from "zod";
import { defineOptions, splitList } from "../options/declare.js";
import { type LengthDistribution, parseLength } from "./llm/lengths.js";
import { type ModelShare, normaliseShares } from "./llm/model-mix.js";
import { PROTOCOLS, type Protocol } from "./llm/token-events.js";
import { WORKLOAD_NAMES, type WorkloadName } from "./llm/workloads/shape.js";
import type { LoadMode } from "./load-types.js";
import type { Slo } from "./stats/group-stats.js";
import { parseTarget } from "./target.js";

export const BENCH_DEFAULTS = {
  host: "127.0.0.1",
  protocol: "openai" as Protocol,
  concurrency: 8,
  /** Open loop: arrivals beyond this many in flight are counted as overload, not sent. */
  openLoopMaxInflight: 1024,
  arrivals: "poisson" as const,
  durationS: 30,
  /** With `--requests` and no `--duration`, the run still ends after this long. */
  durationWithRequestsS: 600,
  warmupS: 0,
  promptTokens: "128",
  maxTokens: 128,
  intervalS: 2,
  timeoutS: 120,
  seed: 1,
};

const positive = z.number().positive();

/** Every option of `switchyard bench`: type and default, flag and help (src/options/). */
export const BENCH_OPTIONS = defineOptions({
  port: {
    type: z.string().optional(),
    flag: "[port]",
    help: "port of the gateway on --host (the two-model router's form: bench PORT --config FILE)",
  },
  config: {
    type: z.string().optional(),
    flag: "--config <file>",
    help: "bench every model of this config (a two_models_config.json router file or a gateway config)",
  },
  host: { type: z.string().default(BENCH_DEFAULTS.host), flag: "--host <host>", help: "host of PORT" },
  url: {
    type: z.string().optional(),
    flag: "--url <url>",
    help: "target base URL instead of PORT, e.g. http://127.0.0.1:8080",
  },
  model: {
    type: z.array(z.string()).optional(),
    flag: "--model <name>",
    repeatable: true,
    help: "model to bench (repeatable; default: the target's /v1/models)",
  },
  share: {
    type: z.array(z.number().min(0)).optional(),
    flag: "--share <list>",
    repeatable: true,
    fromText: (text) => splitList(text).map(Number),
    help: "relative share of each --model, in order (e.g. 3,1; default equal)",
  },
  protocol: {
    type: z.enum(PROTOCOLS).default(BENCH_DEFAULTS.protocol),
    flag: "--protocol <name>",
    help: "openai (chat completions), anthropic (messages) or responses (the OpenAI Responses API)",
  },
  apiKey: {
    type: z.string().optional(),
    flag: "--api-key <key>",
    help: "sent as Authorization: Bearer (openai, responses) or x-api-key (anthropic)",
  },
  concurrency: {
    type: z.number().int().min(1).optional(),
    flag: "--concurrency <n>",
    help: `closed loop: workers (default ${BENCH_DEFAULTS.concurrency}); with --rate: most in flight (default ${BENCH_DEFAULTS.openLoopMaxInflight})`,
  },
  rate: {
    type: positive.optional(),
    flag: "--rate <per-second>",
    help: "open loop: requests per second (default: closed loop)",
  },
  arrivals: {
    type: z.enum(["poisson", "constant"]).default(BENCH_DEFAULTS.arrivals),
    flag: "--arrivals <law>",
    help: "open-loop arrivals: poisson or constant",
  },
  duration: {
    type: positive.optional(),
    flag: "--duration <seconds>",
    help: `measured window (default ${BENCH_DEFAULTS.durationS}; ${BENCH_DEFAULTS.durationWithRequestsS} with --requests)`,
  },
  requests: {
    type: z.number().int().positive().optional(),
    flag: "--requests <n>",
    help: "stop after this many measured requests",
  },
  warmup: {
    type: z.number().min(0).default(BENCH_DEFAULTS.warmupS),
    flag: "--warmup <seconds>",
    help: "unmeasured warm-up before the window",
  },
  stream: {
    type: z.boolean().default(true),
    flag: "--no-stream",
    help: "ask for whole JSON replies instead of SSE streams (no TTFT then)",
  },
  promptTokens: {
    type: z.string().default(BENCH_DEFAULTS.promptTokens),
    flag: "--prompt-tokens <n|a-b>",
    help: "prompt length: fixed or uniform range",
  },
  outputTokens: {
    type: z.string().optional(),
    flag: "--output-tokens <n|a-b>",
    help: "output length asked with max_tokens: fixed or uniform (default: --max-tokens)",
  },
  maxTokens: {
    type: z.number().int().positive().default(BENCH_DEFAULTS.maxTokens),
    flag: "--max-tokens <n>",
    help: "upper bound on every request's max_tokens",
  },
  prompts: {
    type: z.string().optional(),
    flag: "--prompts <file.jsonl>",
    help: "draw prompts from a JSONL file (string, {prompt} or {messages}, optional max_tokens)",
  },
  workload: {
    type: z.enum(WORKLOAD_NAMES).default("synthetic"),
    flag: "--workload <name>",
    help: "synthetic (--prompt-tokens, --prompts), agent-sessions, chat or hot-prefix",
  },
  sessions: {
    type: z.number().int().positive().optional(),
    flag: "--sessions <n>",
    help: "agent-sessions: sessions open at once (default 16; think time ≈ sessions ÷ rate); closed loop: one per worker, instead of --concurrency",
  },
  thinkMs: {
    type: positive.optional(),
    flag: "--think-ms <ms>",
    help: "closed loop: mean pause of each worker before each request (uniform ±50 %, seeded)",
  },
  engineMetrics: {
    type: z.array(z.string()).optional(),
    flag: "--engine-metrics <url>",
    repeatable: true,
    help: "an engine's /metrics URL to read its prefix-cache hit rate from (repeatable; default: the target's)",
  },
  sloTtftMs: {
    type: positive.optional(),
    flag: "--slo-ttft-ms <ms>",
    help: "goodput: time to first token at most this",
  },
  sloLatencyMs: {
    type: positive.optional(),
    flag: "--slo-latency-ms <ms>",
    help: "goodput: end-to-end latency at most this",
  },
  out: {
    type: z.string().optional(),
    flag: "--out <dir>",
    help: "write report.json and report.html here (compare.html with --compare)",
  },
  tui: {
    type: z.boolean().default(true),
    flag: "--no-tui",
    // The two-model router's spelling.
    aliases: ["--no-curses"],
    help: "plain lines instead of the live view (automatic when stdout is not a terminal)",
  },
  interval: {
    type: positive.default(BENCH_DEFAULTS.intervalS),
    flag: "--interval <seconds>",
    help: "plain lines: seconds between updates",
  },
  timeout: {
    type: positive.default(BENCH_DEFAULTS.timeoutS),
    flag: "--timeout <seconds>",
    help: "per-request timeout (headers, and between body chunks)",
  },
  seed: {
    type: z.number().int().default(BENCH_DEFAULTS.seed),
    flag: "--seed <n>",
    help: "seed of prompts, lengths, model picks and Poisson arrivals",
  },
  compare: {
    type: z.array(z.string()).optional(),
    flag: "--compare <files...>",
    help: "compare two report.json files (A B) instead of running",
  },
});

/** The validated flags of a run (the `PORT` argument and `--compare` are handed over apart). */
export type BenchFlags = Omit<ReturnType<typeof BENCH_OPTIONS.parse>, "port" | "compare">;

export interface BenchOptions {
  /** The target, e.g. `http://127.0.0.1:8080` (a path prefix is kept for the API paths). */
  url: string;
  models: ModelShare[];
  protocol: Protocol;
  stream: boolean;
  mode: LoadMode;
  durationS: number;
  requests?: number | undefined;
  warmupS: number;
  promptTokens: LengthDistribution;
  outputTokens: LengthDistribution;
  maxTokens: number;
  promptsFile?: string | undefined;
  workload: WorkloadName;
  /** Agent sessions open at once. */
  sessions?: number | undefined;
  /** Closed loop: each worker's mean think time (ms) before each request. */
  thinkMs?: number | undefined;
  /** The engines' `/metrics` URLs whose prefix-cache counters the report reads. */
  engineMetrics: string[];
  apiKey?: string | undefined;
  slo: Slo;
  outDir?: string | undefined;
  /** `tui`: the ink live view; `plain`: a line per model every `intervalS`. */
  view: "tui" | "plain";
  intervalS: number;
  timeoutS: number;
  seed: number;
  configFile?: string | undefined;
}

/** What the caller found outside the flags. */
export interface BenchContext {
  /** The `PORT` argument (the two-model router's form). */
  port?: string | undefined;
  /** Models listed by `--config`, or (with neither flag) served by the target's `/v1/models`. */
  configModels?: readonly string[] | undefined;
  isTty: boolean;
}

/** The target from `PORT` (on `--host`, the two-model router's form) or `--url`. */
export function targetUrl(flags: Pick<BenchFlags, "url" | "host">, port: string | undefined): string {
  if (flags.url && port !== undefined) throw new Error("give either PORT or --url, not both");
  if (flags.url) {
    const url = new URL(flags.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("--url must be http(s)");
    return flags.url.replace(/\/+$/, "");
  }
  if (port === undefined) throw new Error("give the target: PORT or --url URL");
  const number = Number(port);
  if (!Number.isInteger(number) || number < 1 || number > 65535) throw new Error(`bad PORT "${port}"`);
  const host = flags.host.includes(":") ? `[${flags.host}]` : flags.host;
  return `http://${host}:${number}`;
}

function modelShares(flags: BenchFlags, configModels: readonly string[] | undefined): ModelShare[] {
  const models = [...(flags.model ?? []), ...(configModels ?? [])];
  if (models.length === 0) throw new Error("give the models: --model M (repeatable) or --config FILE");
  const shares = flags.share ?? [];
  if (shares.length > 0 && shares.length !== models.length)
    throw new Error(`--share gives ${shares.length} shares for ${models.length} models`);
  return normaliseShares(models.map((model, i) => ({ model, share: shares[i] ?? 1 })));
}

function loadMode(flags: BenchFlags): LoadMode {
  // A closed loop of agent sessions: each worker is one session, so --sessions counts the workers.
  const sessionWorkers = flags.workload === "agent-sessions" ? flags.sessions : undefined;
  if (flags.rate === undefined)
    return { kind: "closed", concurrency: sessionWorkers ?? flags.concurrency ?? BENCH_DEFAULTS.concurrency };
  return {
    kind: "open",
    rate: flags.rate,
    arrivals: flags.arrivals,
    maxInflight: flags.concurrency ?? BENCH_DEFAULTS.openLoopMaxInflight,
  };
}

/** Resolves what depends on more than one flag (the flags themselves are validated by BENCH_OPTIONS). */
export function resolveBenchOptions(flags: BenchFlags, context: BenchContext): BenchOptions {
  const durationS =
    flags.duration ??
    (flags.requests === undefined ? BENCH_DEFAULTS.durationS : BENCH_DEFAULTS.durationWithRequestsS);
  const url = targetUrl(flags, context.port);
  return {
    url,
    models: modelShares(flags, context.configModels),
    protocol: flags.protocol,
    stream: flags.stream,
    mode: loadMode(flags),
    durationS,
    requests: flags.requests,
    warmupS: flags.warmup,
    promptTokens: parseLength(flags.promptTokens),
    outputTokens: parseLength(flags.outputTokens ?? String(flags.maxTokens)),
    maxTokens: flags.maxTokens,
    promptsFile: flags.prompts,
    workload: flags.workload,
    sessions: flags.sessions,
    thinkMs: flags.thinkMs,
    engineMetrics: flags.engineMetrics ?? [`${parseTarget(url).origin}/metrics`],
    apiKey: flags.apiKey,
    slo: { ttftMs: flags.sloTtftMs, latencyMs: flags.sloLatencyMs },
    outDir: flags.out,
    view: flags.tui && context.isTty ? "tui" : "plain",
    intervalS: flags.interval,
    timeoutS: flags.timeout,
    seed: flags.seed,
    configFile: flags.config,
  };
}
