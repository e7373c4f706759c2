/**
 * A bench run's options: the defaults (declared once, shown by `--help`), the flags as the CLI
 * parses them, and `resolveBenchOptions`, which turns flags into one validated plan: the target, the
 * model mix, the load mode, the workload and the outputs. Pure; the caller reads files first.
 * @module
 */
import { type LengthDistribution, parseLength } from "./llm/lengths.js";
import { type ModelShare, normaliseShares } from "./llm/model-mix.js";
import { PROTOCOLS, type Protocol } from "./llm/token-events.js";
import type { LoadMode } from "./load-types.js";
import type { Slo } from "./stats/group-stats.js";

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

/** The flags as commander hands them over (parsers already applied). */
export interface BenchFlags {
  host: string;
  url?: string;
  config?: string;
  model?: string[];
  share?: number[];
  protocol: string;
  apiKey?: string;
  concurrency?: number;
  rate?: number;
  arrivals: string;
  duration?: number;
  requests?: number;
  warmup: number;
  stream: boolean;
  promptTokens: string;
  outputTokens?: string;
  maxTokens: number;
  prompts?: string;
  sloTtftMs?: number;
  sloLatencyMs?: number;
  out?: string;
  tui: boolean;
  curses: boolean;
  interval: number;
  timeout: number;
  seed: number;
}

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
  if (flags.concurrency !== undefined && !(flags.concurrency >= 1))
    throw new Error("--concurrency must be at least 1");
  if (flags.rate === undefined)
    return { kind: "closed", concurrency: flags.concurrency ?? BENCH_DEFAULTS.concurrency };
  if (!(flags.rate > 0)) throw new Error("--rate must be more than 0");
  if (flags.arrivals !== "poisson" && flags.arrivals !== "constant")
    throw new Error(`--arrivals must be poisson or constant, got "${flags.arrivals}"`);
  return {
    kind: "open",
    rate: flags.rate,
    arrivals: flags.arrivals,
    maxInflight: flags.concurrency ?? BENCH_DEFAULTS.openLoopMaxInflight,
  };
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(value > 0)) throw new Error(`${name} must be more than 0`);
  return value;
}

/** Validates the flags and resolves every default; throws one readable error per problem. */
export function resolveBenchOptions(flags: BenchFlags, context: BenchContext): BenchOptions {
  if (!(PROTOCOLS as readonly string[]).includes(flags.protocol))
    throw new Error(`--protocol must be one of ${PROTOCOLS.join(", ")}, got "${flags.protocol}"`);
  const requests = positive("--requests", flags.requests);
  const maxTokens = positive("--max-tokens", flags.maxTokens) ?? BENCH_DEFAULTS.maxTokens;
  const durationS =
    positive("--duration", flags.duration) ??
    (requests === undefined ? BENCH_DEFAULTS.durationS : BENCH_DEFAULTS.durationWithRequestsS);
  if (!(flags.warmup >= 0)) throw new Error("--warmup must be ≥ 0");
  return {
    url: targetUrl(flags, context.port),
    models: modelShares(flags, context.configModels),
    protocol: flags.protocol as Protocol,
    stream: flags.stream,
    mode: loadMode(flags),
    durationS,
    requests: requests === undefined ? undefined : Math.floor(requests),
    warmupS: flags.warmup,
    promptTokens: parseLength(flags.promptTokens),
    outputTokens: parseLength(flags.outputTokens ?? String(maxTokens)),
    maxTokens: Math.floor(maxTokens),
    promptsFile: flags.prompts,
    apiKey: flags.apiKey,
    slo: {
      ttftMs: positive("--slo-ttft-ms", flags.sloTtftMs),
      latencyMs: positive("--slo-latency-ms", flags.sloLatencyMs),
    },
    outDir: flags.out,
    view: flags.tui && flags.curses && context.isTty ? "tui" : "plain",
    intervalS: positive("--interval", flags.interval) ?? BENCH_DEFAULTS.intervalS,
    timeoutS: positive("--timeout", flags.timeout) ?? BENCH_DEFAULTS.timeoutS,
    seed: Math.floor(flags.seed),
    configFile: flags.config,
  };
}
