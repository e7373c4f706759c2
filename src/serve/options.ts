/**
 * `switchyard serve`'s options, declared once (src/options/): each with its type, default, flag and
 * help. The CLI builds its flags from the table and `startServe()` parses programmatic input with
 * its schema. Spellings follow the Python model server it replaces.
 * @module
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { defineOptions } from "../options/declare.js";
import { LISTEN_HOST, listenPort } from "../options/listen.js";

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

/**
 * Where the weights go: `auto` offloads what fits to a GPU when one is found, `cpu` never uses one;
 * `balanced` (the Hugging Face spelling) puts every layer on the GPUs, split over them by free memory.
 */
export const DEVICE_MAPS = ["auto", "cpu", "gpu", "balanced", "cuda", "vulkan", "metal"] as const;
export type DeviceMap = (typeof DEVICE_MAPS)[number];

/** What runs the model: llama.cpp in this process, or an engine started as a child (src/serve/external/). */
export const SERVE_ENGINES = ["llama.cpp", "vllm", "sglang", "llama-server"] as const;

export const SERVE_LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const positive = (fallback: number) => z.number().int().min(1).default(fallback);

/** Every option of `switchyard serve`: type and default, flag and help (src/options/). */
export const SERVE_OPTIONS = defineOptions({
  modelPath: {
    type: z.string().min(1),
    flag: "--model-path <path>",
    help: "a .gguf file, a directory holding one, or a Hugging Face SafeTensors checkpoint directory (converted to GGUF once, then cached) (required)",
  },
  modelName: {
    type: z.string().min(1).optional(),
    flag: "--model-name <name>",
    help: "the model id clients send and /v1/models lists (default: the file name without .gguf)",
  },
  modelType: {
    type: z.enum(MODEL_TYPES).default("generic"),
    flag: "--model-type <type>",
    help: `chat format and reasoning markup: picks the chat wrapper and how thinking is separated; one of ${MODEL_TYPES.join(", ")}`,
  },
  engine: {
    type: z.enum(SERVE_ENGINES).default("llama.cpp"),
    flag: "--engine <engine>",
    help: `llama.cpp: in-process (GGUF, SafeTensors converted); vllm, sglang, llama-server: run that engine as a supervised child with serve's API in front; one of ${SERVE_ENGINES.join(", ")}`,
  },
  host: LISTEN_HOST,
  port: listenPort(8000),
  deviceMap: {
    type: z
      .enum(DEVICE_MAPS, {
        // accelerate's `sequential` fills one GPU before the next; llama.cpp has no such placement.
        error: (issue) =>
          issue.input === "sequential"
            ? "sequential (fill GPU 0 first) is not available with llama.cpp; use balanced (layers split over the GPUs by free memory) or gpu"
            : undefined,
      })
      .default("auto"),
    flag: "--device-map <device>",
    help: `auto: GPU when found; cpu; gpu or balanced (all layers on the GPUs, split by free memory; fail without one); one of ${DEVICE_MAPS.join(", ")}`,
  },
  maxConcurrent: {
    type: positive(2),
    flag: "--max-concurrent <n>",
    help: "generations run at once, one context sequence each (they batch)",
  },
  maxQueue: {
    type: z.number().int().min(0).default(32),
    flag: "--max-queue <n>",
    help: "requests that may wait for a free slot; beyond this, 429 with Retry-After",
  },
  contextSize: {
    type: z.number().int().min(64).optional(),
    flag: "--context-size <tokens>",
    help: "tokens per sequence (default: the model's training size, at most 8192, shrunk to fit memory)",
  },
  threads: {
    type: positive(availableParallelism()),
    flag: "--threads <n>",
    // The real default depends on the machine, so help and README name it rather than show a number.
    shownDefault: "one per core",
    help: "CPU threads for inference",
  },
  cacheDir: {
    type: z.string().min(1).optional(),
    flag: "--cache-dir <path>",
    shownDefault: "beside the checkpoint",
    help: "where a SafeTensors checkpoint's GGUF conversion is kept (default: .switchyard-gguf/ inside the checkpoint)",
  },
  bodyLimit: {
    type: positive(16 * 1024 * 1024),
    flag: "--body-limit <bytes>",
    help: "largest request body in bytes (larger: 413)",
  },
  logLevel: {
    type: z.enum(SERVE_LOG_LEVELS).default("info"),
    flag: "--log-level <level>",
    help: `pino log level (logs go to stderr); one of ${SERVE_LOG_LEVELS.join(", ")}`,
  },
});

export const serveOptionsSchema = SERVE_OPTIONS.schema;

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
