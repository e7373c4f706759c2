/**
 * `switchyard mock`: a deterministic OpenAI- and Anthropic-compatible backend with fault injection.
 * Flags map one to one onto the option schema (`--fail-rate` ↔ `failRate`); their help and defaults come
 * from it. The server itself is imported only when the command runs.
 * @module
 */
import { type Command, Option } from "commander";
import {
  LOG_LEVELS,
  type MockOptions,
  type MockOptionsInput,
  mockOptionsSchema,
  parseMockOptions,
  REASONING_MODES,
} from "../mock/options.js";
import { formatReadyLine } from "../process/ready-line.js";
import { parseInteger, parseList, parseNonNegative, parsePort, parseRate } from "./parse.js";

type OptionKey = keyof MockOptions;

interface FlagSpec {
  key: OptionKey;
  flags: string;
  parse?: (text: string) => unknown;
  choices?: readonly string[];
}

/** Every flag of `switchyard mock`; the option key is commander's camelCase of the long flag. */
export const MOCK_FLAGS: readonly FlagSpec[] = [
  { key: "host", flags: "--host <host>" },
  { key: "port", flags: "--port <port>", parse: parsePort },
  { key: "id", flags: "--id <id>" },
  { key: "version", flags: "--version <version>" },
  { key: "models", flags: "--models <list>", parse: parseList },
  { key: "firstTokenDelayMs", flags: "--first-token-delay-ms <ms>", parse: parseNonNegative },
  { key: "tokenDelayMs", flags: "--token-delay-ms <ms>", parse: parseNonNegative },
  { key: "failRate", flags: "--fail-rate <rate>", parse: parseRate },
  { key: "failStatus", flags: "--fail-status <status>", parse: parseInteger },
  { key: "hangRate", flags: "--hang-rate <rate>", parse: parseRate },
  { key: "dropRate", flags: "--drop-rate <rate>", parse: parseRate },
  { key: "unavailableFor", flags: "--unavailable-for <seconds>", parse: parseNonNegative },
  { key: "refuseFor", flags: "--refuse-for <seconds>", parse: parseNonNegative },
  { key: "reasoning", flags: "--reasoning <mode>", choices: REASONING_MODES },
  { key: "embeddingDim", flags: "--embedding-dim <n>", parse: parseInteger },
  { key: "seed", flags: "--seed <n>", parse: parseInteger },
  { key: "maxInflight", flags: "--max-inflight <n>", parse: parseInteger },
  { key: "bodyLimit", flags: "--body-limit <bytes>", parse: parseInteger },
  { key: "logLevel", flags: "--log-level <level>", choices: LOG_LEVELS },
];

function toOption(spec: FlagSpec, defaults: MockOptions): Option {
  const description = mockOptionsSchema.shape[spec.key].description ?? "";
  const fallback = defaults[spec.key];
  // The default is only shown here: the schema, not commander, applies it (one source of defaults).
  const shown =
    fallback === undefined ? "" : ` (default: ${Array.isArray(fallback) ? fallback.join(",") : fallback})`;
  const option = new Option(spec.flags, description + shown);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.choices) option.choices(spec.choices);
  return option;
}

/** Commander's parsed flags → validated options (throws one readable line). */
export function toMockOptions(flags: Record<string, unknown>): MockOptions {
  const input: Record<string, unknown> = {};
  for (const spec of MOCK_FLAGS) {
    if (flags[spec.key] !== undefined) input[spec.key] = flags[spec.key];
  }
  return parseMockOptions(input as MockOptionsInput);
}

async function runMock(options: MockOptions): Promise<void> {
  const abort = new AbortController();
  let running: { close(): Promise<void> } | undefined;
  const stop = () => {
    abort.abort();
    void running?.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const { startMock } = await import("../mock/server.js");
  try {
    const mock = await startMock(options, { signal: abort.signal });
    running = mock;
    if (abort.signal.aborted) {
      await mock.close();
      return;
    }
    process.stdout.write(`${formatReadyLine("backend", mock.id, mock.url)}\n`);
  } catch (error) {
    // A signal during --refuse-for is a clean stop, not a failure.
    if (abort.signal.aborted) return;
    throw error;
  }
}

export function registerMockCommand(program: Command): void {
  const defaults = mockOptionsSchema.parse({});
  const command = program
    .command("mock")
    .description("Run a deterministic OpenAI- and Anthropic-compatible mock backend with fault injection");
  for (const spec of MOCK_FLAGS) command.addOption(toOption(spec, defaults));
  command.action(async (flags: Record<string, unknown>) => {
    await runMock(toMockOptions(flags));
  });
}
