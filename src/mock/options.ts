/**
 * The mock backend's options, declared once (src/options/): each with its type, default, flag and
 * help. The CLI builds its flags from the table, `startMock()` parses programmatic input with its
 * schema, and `POST /mock/faults` accepts a subset of it.
 * @module
 */
import { z } from "zod";
import { defineOptions } from "../options/declare.js";
import { LISTEN_HOST, listenPort } from "../options/listen.js";
import { DEFAULT_ENGINE_PROFILE, ENGINE_PROFILE_NAMES } from "./engine-sim/profiles.js";

/**
 * `think` and `harmony` write the reasoning into the text as a model does; `split` returns it apart
 * (`reasoning_content`, Anthropic thinking blocks), as a server with a reasoning parser does.
 */
export const REASONING_MODES = ["none", "think", "harmony", "split"] as const;
export type ReasoningMode = (typeof REASONING_MODES)[number];

/**
 * APIs a mock standing in for an OpenAI-kind engine also serves natively, as vLLM or llama.cpp do:
 * `messages` marks its `/v1/messages` answers (`x-mock-native: messages`), `responses` adds
 * `/v1/responses` (see responses-routes.ts).
 */
export const NATIVE_APIS = ["messages", "responses"] as const;
export type NativeApi = (typeof NATIVE_APIS)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const rate = (help: string, flag: string) => ({
  type: z.number().min(0).max(1).default(0),
  flag,
  help,
});
const nonNegative = (help: string, flag: string) => ({ type: z.number().min(0).default(0), flag, help });

/** Every option of `switchyard mock`: type and default, flag and help (src/options/). */
export const MOCK_OPTIONS = defineOptions({
  host: LISTEN_HOST,
  port: listenPort(8000),
  id: {
    type: z.string().min(1).optional(),
    flag: "--id <id>",
    shownDefault: "mock-<port>",
    help: "backend id in replies and READY (the port it really bound)",
  },
  version: {
    type: z.string().default("0"),
    flag: "--version <version>",
    help: "version string in replies and /health",
  },
  models: {
    type: z.array(z.string().min(1)).min(1).default(["mock-model"]),
    flag: "--models <list>",
    help: "comma-separated model names",
  },
  firstTokenDelayMs: nonNegative(
    "latency before the first token, or before a JSON reply",
    "--first-token-delay-ms <ms>",
  ),
  tokenDelayMs: nonNegative("delay between streamed tokens", "--token-delay-ms <ms>"),
  failRate: rate("fraction of inference requests answered with --fail-status", "--fail-rate <rate>"),
  failStatus: {
    type: z.number().int().min(400).max(599).default(500),
    flag: "--fail-status <status>",
    help: "status of injected failures",
  },
  hangRate: rate("fraction of inference requests accepted and never answered", "--hang-rate <rate>"),
  dropRate: rate(
    "fraction of inference requests whose connection is cut (streams: after the first token)",
    "--drop-rate <rate>",
  ),
  unavailableFor: nonNegative(
    "answer 503 'model is loading' on every route for this many seconds after start",
    "--unavailable-for <seconds>",
  ),
  refuseFor: nonNegative(
    "do not listen (connections refused) for this many seconds after start",
    "--refuse-for <seconds>",
  ),
  reasoning: {
    type: z.enum(REASONING_MODES).default("none"),
    flag: "--reasoning <mode>",
    help: `reasoning before the answer: in the text (think, harmony) or apart (split); one of ${REASONING_MODES.join(", ")}`,
  },
  nativeApis: {
    type: z.array(z.enum(NATIVE_APIS)).default([]),
    flag: "--native-apis <list>",
    shownDefault: "none",
    help: `APIs served natively besides chat, marked with x-mock-native: ${NATIVE_APIS.join(", ")}`,
  },
  tokenize: {
    type: z.boolean().default(true),
    flag: "--no-tokenize",
    help: "do not serve POST /tokenize (an engine without a tokenizer endpoint)",
  },
  embeddingDim: {
    type: z.number().int().min(1).max(65_536).default(16),
    flag: "--embedding-dim <n>",
    help: "default embedding dimensions",
  },
  seed: {
    type: z.number().int().default(1),
    flag: "--seed <n>",
    help: "seed of the fault-injection PRNG and of the engine simulator's step jitter (reproducible runs)",
  },
  engineSim: {
    type: z.boolean().default(false),
    flag: "--engine-sim",
    help: "behave like a vLLM engine: paged KV cache with prefix reuse, continuous batching, vLLM's /metrics",
  },
  engineProfile: {
    type: z.enum(ENGINE_PROFILE_NAMES).default(DEFAULT_ENGINE_PROFILE),
    flag: "--engine-profile <name>",
    help: `the simulated model and GPU (step costs, capacities): ${ENGINE_PROFILE_NAMES.join(", ")}`,
  },
  kvCacheTokens: {
    type: z.number().int().min(16).optional(),
    flag: "--kv-cache-tokens <n>",
    shownDefault: "the profile's",
    help: "KV cache capacity of the simulated engine, in tokens (blocks of 16)",
  },
  maxNumSeqs: {
    type: z.number().int().min(1).optional(),
    flag: "--max-num-seqs <n>",
    shownDefault: "the profile's",
    help: "most sequences the simulated engine runs at once (vLLM's --max-num-seqs)",
  },
  maxBatchedTokens: {
    type: z.number().int().min(1).optional(),
    flag: "--max-batched-tokens <n>",
    shownDefault: "the profile's",
    help: "most tokens in one step of the simulated engine (vLLM's --max-num-batched-tokens)",
  },
  timeScale: {
    type: z.number().positive().max(1_000_000).default(1),
    flag: "--time-scale <factor>",
    help: "simulated seconds per wall-clock second (10 runs the simulated engine ten times faster)",
  },
  maxInflight: {
    type: z.number().int().min(0).default(0),
    flag: "--max-inflight <n>",
    help: "answer 429 above this many inference requests in flight (0 = no limit)",
  },
  bodyLimit: {
    type: z
      .number()
      .int()
      .min(1)
      .default(16 * 1024 * 1024),
    flag: "--body-limit <bytes>",
    help: "largest request body in bytes (larger: 413)",
  },
  logLevel: {
    type: z.enum(LOG_LEVELS).default("warn"),
    flag: "--log-level <level>",
    help: `pino log level: ${LOG_LEVELS.join(", ")}`,
  },
});

export const mockOptionsSchema = MOCK_OPTIONS.schema;

/** What callers may pass (every field optional, defaults applied by the schema). */
export type MockOptionsInput = z.input<typeof mockOptionsSchema>;
/** Options after parsing: every default filled in. */
export type MockOptions = z.output<typeof mockOptionsSchema>;

/**
 * The options `POST /mock/faults` may change at runtime. `unavailableFor` counts from the moment of the
 * call, not from start.
 */
const shape = mockOptionsSchema.shape;
export const runtimeFaultsSchema = z.strictObject({
  // unwrap(): a default inside an optional field would be applied and silently reset that fault.
  firstTokenDelayMs: shape.firstTokenDelayMs.unwrap().optional(),
  tokenDelayMs: shape.tokenDelayMs.unwrap().optional(),
  failRate: shape.failRate.unwrap().optional(),
  failStatus: shape.failStatus.unwrap().optional(),
  hangRate: shape.hangRate.unwrap().optional(),
  dropRate: shape.dropRate.unwrap().optional(),
  unavailableFor: shape.unavailableFor.unwrap().optional(),
  reasoning: shape.reasoning.unwrap().optional(),
  maxInflight: shape.maxInflight.unwrap().optional(),
  /** `{"<api key>": 429}`: answer requests with that key with that status (tests of key rotation). */
  keyStatus: z.record(z.string().min(1), z.number().int().min(400).max(599)).optional(),
  /** `Retry-After` (seconds) of injected 429 and 503 answers; 1 by default. */
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
});

export type RuntimeFaults = z.output<typeof runtimeFaultsSchema>;

/** Parses options, throwing one readable line per problem (`failRate: Too big: expected …`). */
export function parseMockOptions(input: unknown): MockOptions {
  const result = mockOptionsSchema.safeParse(input);
  if (!result.success) throw new Error(`invalid mock options: ${formatIssues(result.error)}`);
  return result.data;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

/** The id a mock takes when none is given: derived from the port it really bound. */
export function defaultMockId(port: number): string {
  return `mock-${port}`;
}
