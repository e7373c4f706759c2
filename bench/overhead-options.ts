/**
 * The options of `npm run bench:overhead`, parsed and resolved: targets, phase lengths and loads,
 * gateway variants (overhead-variants.ts) and client protocols (overhead-protocols.ts).
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import type { PhaseOptions } from "./overhead-phases.js";
import { FLAVOURS, type Flavour, parseFlavours } from "./overhead-protocols.js";
import { TARGETS, type TargetName } from "./overhead-report.js";
import { type LedgerKind, parseWorkerCounts } from "./overhead-variants.js";

/** The comparison rate of the protocol targets (docs/performance.md: at 500 req/s). */
export const PROTOCOL_RATE = 500;

export interface Options extends PhaseOptions {
  json?: string;
  only: TargetName[];
  mockUrl?: string;
  retries: number;
  redis: boolean;
  workers: number[];
  cap?: number;
  accessLog: boolean;
  otel: boolean;
  /** The ledger databases to run the gateway with, beside the ledger off (--ledger); empty: none. */
  ledger: LedgerKind[];
  /** The client protocols of the baseline gateway, chat first (resolved from --protocols and --native). */
  flavours: Flavour[];
  native: boolean;
  protocolRate: number;
  /** Long-prompt phases on the baseline gateway: round_robin against prefix_aware (overhead-long-prompt.ts). */
  longPrompt: boolean;
  /** The long-prompt phases' rate; unset: --rate. */
  longPromptRate?: number;
}

function positive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${text}"`);
  return value;
}

function nonNegative(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${text}"`);
  return value;
}

function workerCounts(text: string): number[] {
  const counts = parseWorkerCounts(text);
  if (!counts)
    throw new InvalidArgumentError(`expected N or a list like 1,2,4 (whole numbers ≥ 1), got "${text}"`);
  return counts;
}

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${text}"`);
  return value;
}

function ledgerKinds(text: string): LedgerKind[] {
  if (text === "embedded" || text === "postgres") return [text];
  if (text === "both") return ["embedded", "postgres"];
  throw new InvalidArgumentError(`expected embedded, postgres or both, got "${text}"`);
}

function targetList(text: string): TargetName[] {
  const names = text.split(",").map((name) => name.trim());
  for (const name of names)
    if (!(TARGETS as readonly string[]).includes(name))
      throw new InvalidArgumentError(`unknown target "${name}" (expected ${TARGETS.join(", ")})`);
  return names as TargetName[];
}

/** Checks the names; the list is resolved with --native once every flag is read. */
function protocolList(text: string): string {
  const flavours = parseFlavours(text, false);
  if (typeof flavours === "string") throw new InvalidArgumentError(flavours);
  return text;
}

export function parseOptions(argv: readonly string[]): Options {
  const program = new Command("bench:overhead")
    .description("Gateway overhead: direct mock vs minimal undici proxy vs Switchyard gateway")
    .option("--duration <s>", "measured seconds per phase", positive, 5)
    .option("--warmup <s>", "warm-up seconds per phase", nonNegative, 1)
    .option("--concurrency <n>", "connections of the closed-loop phases", positive, 64)
    .option("--rate <n>", "requests per second of the open-loop phases", positive, 1000)
    .option("--json <file>", "also write every figure to this JSON file")
    .option("--only <targets>", "comma-separated subset of direct,proxy,gateway", targetList, [...TARGETS])
    .option("--no-precise", "open loop: send on Node timers (≤ ~1 ms late) instead of busy-waiting a core")
    .option("--retries <n>", "phases rerun when other processes use the CPU (whole run)", nonNegative, 4)
    .option("--mock-url <url>", "use this running backend instead of starting `switchyard mock`")
    .option(
      "--redis",
      "run the gateway twice, memory state then state in a private redis-server (capped backend), and compare",
      false,
    )
    .option(
      "--workers <n|list>",
      "run the gateway with 1 and N workers (or each count of a list like 1,2,4) and compare",
      workerCounts,
      [1],
    )
    .option(
      "--access-log",
      "run the gateway twice, access log off then on (one line per request to its stdout), and compare",
      false,
    )
    .option(
      "--otel",
      "run the gateway twice, OpenTelemetry export off then on (traces and metrics to an OTLP sink in the bench), and compare",
      false,
    )
    .option(
      "--ledger <embedded|postgres|both>",
      "also run the gateway with the request ledger on, in the embedded database and/or a Postgres server " +
        "(DATABASE_URL, else a private one the bench starts), and compare with the ledger off",
      ledgerKinds,
      [],
    )
    .option(
      "--cap <n>",
      "max_connections of the benchmarked backend (0: none; default 0, or 100000 with --redis so every request takes a lease)",
      wholeNumber,
    )
    .option(
      "--protocols <list>",
      `client protocols of the gateway, compared with its chat phases (${FLAVOURS.join(", ")}); direct and proxy run chat only`,
      protocolList,
      "chat,responses,messages",
    )
    .option(
      "--native",
      "add the native pass-through flavour of each protocol (mock started with --native-apis, backend with native_apis)",
      false,
    )
    .option(
      "--protocol-rate <n>",
      "requests per second of the open-loop phases that compare each protocol with chat",
      positive,
      PROTOCOL_RATE,
    )
    .option(
      "--long-prompt",
      "add two open-loop phases at --rate with a ~100 kB agent-shaped chat body: round_robin, then prefix_aware",
      false,
    )
    .option(
      "--long-prompt-rate <n>",
      "requests per second of the long-prompt phases (default: --rate; a small host may not keep up with 1,000 bodies of 100 kB a second)",
      positive,
    )
    .parse(argv, { from: "user" });
  const raw = program.opts<Omit<Options, "flavours"> & { protocols: string }>();
  const { protocols, ...rest } = raw;
  return { ...rest, flavours: parseFlavours(protocols, raw.native) as Flavour[] };
}
