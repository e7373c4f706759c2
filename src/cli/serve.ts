/**
 * `switchyard serve`: a local model server running a GGUF model in-process (node-llama-cpp) behind an
 * OpenAI-compatible API, with the flags of the Python model server it replaces. Flags map one to one onto the option schema
 * (`--max-concurrent` ↔ `maxConcurrent`); their help and defaults come from it. The server — and
 * node-llama-cpp with it — is imported only when the command runs.
 *
 * READY comes after the model is loaded: the server listens first (`/health` answers 503 `loading`),
 * and the READY line on stdout means requests are served.
 * @module
 */
import { type Command, Option } from "commander";
import { formatReadyLine } from "../process/ready-line.js";
import {
  DEVICE_MAPS,
  MODEL_TYPES,
  parseServeOptions,
  SERVE_LOG_LEVELS,
  type ServeOptions,
  type ServeOptionsInput,
  serveOptionsSchema,
} from "../serve/options.js";
import { parseInteger, parsePort } from "./parse.js";

type OptionKey = keyof ServeOptions;

interface FlagSpec {
  key: OptionKey;
  flags: string;
  parse?: (text: string) => unknown;
  choices?: readonly string[];
}

/** Every flag of `switchyard serve`; the option key is commander's camelCase of the long flag. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  { key: "modelPath", flags: "--model-path <path>" },
  { key: "modelName", flags: "--model-name <name>" },
  { key: "modelType", flags: "--model-type <type>", choices: MODEL_TYPES },
  { key: "host", flags: "--host <host>" },
  { key: "port", flags: "--port <port>", parse: parsePort },
  { key: "deviceMap", flags: "--device-map <device>", choices: DEVICE_MAPS },
  { key: "maxConcurrent", flags: "--max-concurrent <n>", parse: parseInteger },
  { key: "maxQueue", flags: "--max-queue <n>", parse: parseInteger },
  { key: "contextSize", flags: "--context-size <tokens>", parse: parseInteger },
  { key: "threads", flags: "--threads <n>", parse: parseInteger },
  { key: "bodyLimit", flags: "--body-limit <bytes>", parse: parseInteger },
  { key: "logLevel", flags: "--log-level <level>", choices: SERVE_LOG_LEVELS },
];

function toOption(spec: FlagSpec): Option {
  const field = serveOptionsSchema.shape[spec.key];
  const description = field.description ?? "";
  // Defaults are shown here but applied by the schema (one source of defaults).
  const parsed = field.safeParse(undefined);
  const fallback = parsed.success ? parsed.data : undefined;
  const shown = fallback === undefined ? "" : ` (default: ${String(fallback)})`;
  const option = new Option(spec.flags, description + shown);
  if (spec.key === "modelPath") option.makeOptionMandatory();
  if (spec.parse) option.argParser(spec.parse);
  if (spec.choices) option.choices(spec.choices);
  return option;
}

/** Commander's parsed flags → validated options (throws one readable line). */
export function toServeOptions(flags: Record<string, unknown>): ServeOptions {
  const input: Record<string, unknown> = {};
  for (const spec of SERVE_FLAGS) {
    if (flags[spec.key] !== undefined) input[spec.key] = flags[spec.key];
  }
  return parseServeOptions(input as ServeOptionsInput);
}

/** How long a graceful stop may take before the process ends anyway. */
const STOP_DEADLINE_MS = 10_000;

/**
 * The process should end by itself once closed; if a close hangs or a native handle keeps it alive,
 * end it at the deadline (the timer is unref'd, so it never delays a clean exit).
 */
function exitByDeadline(): void {
  setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
}

async function runServe(options: ServeOptions): Promise<void> {
  let stopping = false;
  let running: { close(): Promise<void> } | undefined;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means "now": skip the graceful close.
    if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
    stopping = true;
    exitByDeadline();
    void running?.close();
  };
  // `on`, not `once`: a dependency of node-llama-cpp loads signal-exit, which re-raises the signal (and
  // kills the process mid-close) when it finds no other listener left.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const { startServe } = await import("../serve/server.js");
  const serve = await startServe(options);
  running = serve;
  if (stopping) {
    await serve.close();
    return;
  }
  try {
    await serve.ready;
  } catch (error) {
    // A signal while the model loads is a clean stop, not a failure.
    if (stopping) return;
    throw error;
  }
  process.stdout.write(`${formatReadyLine("backend", serve.modelName, serve.url)}\n`);
}

export function registerServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description("Serve a local GGUF model (llama.cpp, in-process) behind an OpenAI-compatible API");
  for (const spec of SERVE_FLAGS) command.addOption(toOption(spec));
  command.action(async (flags: Record<string, unknown>) => {
    await runServe(toServeOptions(flags));
  });
}
