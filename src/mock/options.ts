/**
 * The mock backend's options: one zod schema, the single source of truth for names, defaults and
 * descriptions. The CLI derives its flags' help from it (`--first-token-delay-ms` ↔ `firstTokenDelayMs`),
 * `startMock()` parses programmatic input with it, and `POST /mock/faults` accepts a subset of it.
 * @module
 */
import { z } from "zod";

/**
 * `think` and `harmony` write the reasoning into the text as a model does; `split` returns it apart
 * (`reasoning_content`, Anthropic thinking blocks), as a server with a reasoning parser does.
 */
export const REASONING_MODES = ["none", "think", "harmony", "split"] as const;
export type ReasoningMode = (typeof REASONING_MODES)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const rate = (description: string) => z.number().min(0).max(1).default(0).describe(description);
const milliseconds = (description: string) => z.number().min(0).default(0).describe(description);
const seconds = (description: string) => z.number().min(0).default(0).describe(description);

export const mockOptionsSchema = z.object({
  host: z.string().min(1).default("127.0.0.1").describe("interface to listen on"),
  port: z.number().int().min(0).max(65535).default(8000).describe("port to listen on (0 = any free port)"),
  id: z.string().min(1).optional().describe("backend id in replies and READY (default: mock-<bound port>)"),
  version: z.string().default("0").describe("version string in replies and /health"),
  models: z.array(z.string().min(1)).min(1).default(["mock-model"]).describe("comma-separated model names"),
  firstTokenDelayMs: milliseconds("latency before the first token, or before a JSON reply"),
  tokenDelayMs: milliseconds("delay between streamed tokens"),
  failRate: rate("fraction of inference requests answered with --fail-status"),
  failStatus: z.number().int().min(400).max(599).default(500).describe("status of injected failures"),
  hangRate: rate("fraction of inference requests accepted and never answered"),
  dropRate: rate("fraction of inference requests whose connection is cut (streams: after the first token)"),
  unavailableFor: seconds("answer 503 'model is loading' on every route for this many seconds after start"),
  refuseFor: seconds("do not listen (connections refused) for this many seconds after start"),
  reasoning: z
    .enum(REASONING_MODES)
    .default("none")
    .describe("reasoning before the answer: in the text (think, harmony) or apart (split)"),
  embeddingDim: z.number().int().min(1).max(65_536).default(16).describe("default embedding dimensions"),
  seed: z.number().int().default(1).describe("seed of the fault-injection PRNG (reproducible runs)"),
  maxInflight: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("answer 429 above this many inference requests in flight (0 = no limit)"),
  bodyLimit: z
    .number()
    .int()
    .min(1)
    .default(16 * 1024 * 1024)
    .describe("largest request body in bytes (larger: 413)"),
  logLevel: z.enum(LOG_LEVELS).default("warn").describe("pino log level"),
});

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
