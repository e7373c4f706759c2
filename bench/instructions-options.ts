/**
 * The options of `npm run bench:instructions`: which targets, protocols and payloads are counted,
 * how many requests warm each phase up and how many are counted, and the flags node runs with.
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { type Flavour, isNative, parseFlavours } from "./overhead-protocols.js";

export const INSTRUCTION_TARGETS = ["proxy", "gateway"] as const;
export type InstructionTarget = (typeof INSTRUCTION_TARGETS)[number];
export const INSTRUCTION_PAYLOADS = ["json", "stream"] as const;
export type InstructionPayload = (typeof INSTRUCTION_PAYLOADS)[number];

/**
 * V8 optimises a function after 1/8 of its usual interrupt budget: under valgrind a request takes
 * tens of ms, and the gateway's count still fell by 10 % between 2,000 and 2,700 requests with the
 * default budget, where with this one it is flat from ~1,000 (docs/performance.md).
 */
export const DEFAULT_NODE_FLAGS = ["--interrupt-budget=8192"] as const;

export interface InstructionOptions {
  /** Requests counted per round of a phase. */
  requests: number;
  /** Requests sent before a phase's first round, uncounted. */
  warmup: number;
  /** Counted rounds per phase: more than one shows how far the count moves within one process. */
  rounds: number;
  concurrency: number;
  only: InstructionTarget[];
  /** The gateway's client protocols, chat first; the proxy runs chat only. */
  flavours: Flavour[];
  payloads: InstructionPayload[];
  /** Flags for node (V8) in both targets, before the script. */
  nodeFlags: string[];
  /** Print this many of the gateway's top inclusive functions per phase; 0: none. */
  annotate: number;
  json?: string;
  /** Keep callgrind's dumps in this directory (for callgrind_annotate or KCachegrind); unset: deleted. */
  keep?: string;
}

function wholeNumber(minimum: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < minimum)
      throw new InvalidArgumentError(`expected a whole number ≥ ${minimum}, got "${text}"`);
    return value;
  };
}

function listOf<T extends string>(allowed: readonly T[], what: string) {
  return (text: string): T[] => {
    const names = text
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    if (names.length === 0) throw new InvalidArgumentError(`expected a list of ${what}`);
    for (const name of names)
      if (!(allowed as readonly string[]).includes(name))
        throw new InvalidArgumentError(
          `unknown ${what.replace(/s$/, "")} "${name}" (expected ${allowed.join(", ")})`,
        );
    return allowed.filter((name) => names.includes(name));
  };
}

/** Bridged protocols only: a native flavour needs a mock set up for it, which this bench does not start. */
function protocolList(text: string): Flavour[] {
  const flavours = parseFlavours(text, false);
  if (typeof flavours === "string") throw new InvalidArgumentError(flavours);
  const native = flavours.find(isNative);
  if (native) throw new InvalidArgumentError(`"${native}" is not counted here (bridged protocols only)`);
  return flavours;
}

function nodeFlags(text: string): string[] {
  const flags = text.split(/\s+/).filter((flag) => flag.length > 0);
  const stray = flags.find((flag) => !flag.startsWith("--"));
  if (stray) throw new InvalidArgumentError(`expected node flags starting with --, got "${stray}"`);
  return flags;
}

/** `throwOnError`: a bad flag throws (quietly) instead of printing and exiting; for tests. */
export function parseInstructionOptions(argv: readonly string[], throwOnError = false): InstructionOptions {
  const program = new Command("bench:instructions")
    .description(
      "Instructions per request of the gateway and the baseline proxy, each under valgrind's callgrind, " +
        "with the load sent from outside it",
    )
    .option("--requests <n>", "requests counted per round of each phase", wholeNumber(1), 200)
    .option("--warmup <n>", "requests sent before each phase is counted", wholeNumber(0), 1000)
    .option(
      "--rounds <n>",
      "counted rounds per phase: the median is reported, and the spread",
      wholeNumber(1),
      5,
    )
    .option(
      "--concurrency <n>",
      "connections of the load generator (1: no two requests share an event-loop turn, which moves the count)",
      wholeNumber(1),
      1,
    )
    .option(
      "--only <targets>",
      "comma-separated subset of proxy,gateway",
      listOf(INSTRUCTION_TARGETS, "targets"),
      [...INSTRUCTION_TARGETS],
    )
    .option(
      "--protocols <list>",
      "client protocols of the gateway (chat, responses, messages, responses-store); the proxy runs chat",
      protocolList,
      ["chat"],
    )
    .option("--payloads <list>", "json, stream or both", listOf(INSTRUCTION_PAYLOADS, "payloads"), [
      ...INSTRUCTION_PAYLOADS,
    ])
    .option(
      "--node-flags <flags>",
      "flags for node in both targets (replacing the default: tier-up after 1/8 of V8's usual budget)",
      nodeFlags,
      [...DEFAULT_NODE_FLAGS],
    )
    .option(
      "--annotate [n]",
      "per phase: each target's instructions by part (its own modules, npm packages, GC, …), the gateway's top n functions",
      wholeNumber(1),
    )
    .option("--json <file>", "also write every figure to this JSON file")
    .option(
      "--keep <dir>",
      "keep callgrind's dumps in this directory (callgrind.<target>.<n>, one per round)",
    );
  if (throwOnError) program.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.parse(argv, { from: "user" });
  const raw = program.opts<
    Omit<InstructionOptions, "annotate" | "flavours"> & {
      annotate?: number | true;
      protocols: Flavour[];
    }
  >();
  const { annotate, protocols, ...rest } = raw;
  return { ...rest, flavours: protocols, annotate: annotate === true ? 25 : (annotate ?? 0) };
}
