/**
 * `switchyard serve`'s options: one zod schema, the single source of names, defaults and descriptions.
 * The CLI derives its flags' help from it (`--max-concurrent` ↔ `maxConcurrent`) and `startServe()`
 * parses programmatic input with it. Spellings follow the Python model server it replaces.
 * @module
 */
import { availableParallelism } from "node:os";
import { z } from "zod";

/** The Python model server's model types plus the reasoning families serve knows. */
export const MODEL_TYPES = [
  "generic",
  "gemma3",
  "gpt-oss",
  "llama",
  "mistral",
  "qwen3",
  "deepseek-r1",
] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Where the weights go: `auto` offloads what fits to a GPU when one is found, `cpu` never uses one. */
export const DEVICE_MAPS = ["auto", "cpu", "gpu", "cuda", "vulkan", "metal"] as const;
export type DeviceMap = (typeof DEVICE_MAPS)[number];

export const SERVE_LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const positive = (fallback: number, description: string) =>
  z.number().int().min(1).default(fallback).describe(description);

export const serveOptionsSchema = z.object({
  modelPath: z.string().min(1).describe("a .gguf file, or a directory holding one"),
  modelName: z
    .string()
    .min(1)
    .optional()
    .describe("the model id clients send and /v1/models lists (default: the file name without .gguf)"),
  modelType: z
    .enum(MODEL_TYPES)
    .default("generic")
    .describe("chat format and reasoning markup: picks the chat wrapper and how thinking is separated"),
  host: z.string().min(1).default("127.0.0.1").describe("interface to listen on"),
  port: z.number().int().min(0).max(65535).default(8000).describe("port to listen on (0 = any free port)"),
  deviceMap: z
    .enum(DEVICE_MAPS)
    .default("auto")
    .describe("auto: GPU when found; cpu; gpu (fail without one)"),
  maxConcurrent: positive(2, "generations run at once, one context sequence each (they batch)"),
  maxQueue: z
    .number()
    .int()
    .min(0)
    .default(32)
    .describe("requests that may wait for a free slot; beyond this, 429 with Retry-After"),
  contextSize: z
    .number()
    .int()
    .min(64)
    .optional()
    .describe("tokens per sequence (default: the model's training size, at most 8192, shrunk to fit memory)"),
  threads: positive(availableParallelism(), "CPU threads for inference"),
  bodyLimit: positive(16 * 1024 * 1024, "largest request body in bytes (larger: 413)"),
  logLevel: z.enum(SERVE_LOG_LEVELS).default("info").describe("pino log level (logs go to stderr)"),
});

/** What callers may pass (defaults applied by the schema). */
export type ServeOptionsInput = z.input<typeof serveOptionsSchema>;
/** Options after parsing: every default filled in. */
export type ServeOptions = z.output<typeof serveOptionsSchema>;

/** The largest context a sequence gets when `--context-size` is not given. */
export const DEFAULT_MAX_CONTEXT = 8192;

/** Parses options, throwing one readable line per problem (`maxConcurrent: Too small: …`). */
export function parseServeOptions(input: unknown): ServeOptions {
  const result = serveOptionsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
      .join("; ");
    throw new Error(`invalid serve options: ${problems}`);
  }
  return result.data;
}
