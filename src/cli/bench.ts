/**
 * `switchyard bench`: load-test any OpenAI- or Anthropic-compatible endpoint with a live terminal
 * view and a report with charts. The two-model router's form is `bench PORT --config FILE [--no-curses]`; the
 * general one is `bench --url URL --model M …`; `bench --compare A.json B.json` compares two runs.
 * This file only declares the flags; the runtime (and ink) load when the command runs.
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { BENCH_DEFAULTS, type BenchFlags } from "../bench/options.js";
import { parseInteger, parseList, parseNonNegative } from "./parse.js";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function collectShares(value: string, previous: number[] | undefined): number[] {
  const shares = parseList(value).map((item) => {
    const share = Number(item);
    if (!Number.isFinite(share) || share < 0)
      throw new InvalidArgumentError(`expected shares ≥ 0, got "${item}"`);
    return share;
  });
  return [...(previous ?? []), ...shares];
}

function positive(text: string): number {
  const value = parseNonNegative(text);
  if (value === 0) throw new InvalidArgumentError(`expected a number > 0, got "${text}"`);
  return value;
}

interface CommandFlags extends BenchFlags {
  compare?: string[];
}

export function registerBenchCommand(program: Command): void {
  const d = BENCH_DEFAULTS;
  program
    .command("bench")
    .description("Load-test an OpenAI/Anthropic-compatible endpoint: live view, report.json and report.html")
    .argument(
      "[port]",
      "port of the gateway on --host (the two-model router's form: bench PORT --config FILE)",
    )
    .option(
      "--config <file>",
      "bench every model of this config (a two_models_config.json router file or a gateway config)",
    )
    .option("--host <host>", "host of PORT", d.host)
    .option("--url <url>", "target base URL instead of PORT, e.g. http://127.0.0.1:8080")
    .option("--model <name>", "model to bench (repeatable; default: the target's /v1/models)", collect)
    .option(
      "--share <list>",
      "relative share of each --model, in order (e.g. 3,1; default equal)",
      collectShares,
    )
    .option("--protocol <name>", "openai (chat completions) or anthropic (messages)", d.protocol)
    .option("--api-key <key>", "sent as Authorization: Bearer (openai) or x-api-key (anthropic)")
    .option(
      "--concurrency <n>",
      `closed loop: workers (default ${d.concurrency}); with --rate: most in flight (default ${d.openLoopMaxInflight})`,
      parseInteger,
    )
    .option("--rate <per-second>", "open loop: requests per second (default: closed loop)", positive)
    .option("--arrivals <law>", "open-loop arrivals: poisson or constant", d.arrivals)
    .option(
      "--duration <seconds>",
      `measured window (default ${d.durationS}; ${d.durationWithRequestsS} with --requests)`,
      positive,
    )
    .option("--requests <n>", "stop after this many measured requests", parseInteger)
    .option("--warmup <seconds>", "unmeasured warm-up before the window", parseNonNegative, d.warmupS)
    .option("--no-stream", "ask for whole JSON replies instead of SSE streams (no TTFT then)")
    .option("--prompt-tokens <n|a-b>", "prompt length: fixed or uniform range", d.promptTokens)
    .option(
      "--output-tokens <n|a-b>",
      "output length asked with max_tokens: fixed or uniform (default: --max-tokens)",
    )
    .option("--max-tokens <n>", "upper bound on every request's max_tokens", parseInteger, d.maxTokens)
    .option(
      "--prompts <file.jsonl>",
      "draw prompts from a JSONL file (string, {prompt} or {messages}, optional max_tokens)",
    )
    .option("--slo-ttft-ms <ms>", "goodput: time to first token at most this", positive)
    .option("--slo-latency-ms <ms>", "goodput: end-to-end latency at most this", positive)
    .option("--out <dir>", "write report.json and report.html here (compare.html with --compare)")
    .option("--no-tui", "plain lines instead of the live view (automatic when stdout is not a terminal)")
    .option("--no-curses", "the two-model router's spelling of --no-tui")
    .option("--interval <seconds>", "plain lines: seconds between updates", positive, d.intervalS)
    .option(
      "--timeout <seconds>",
      "per-request timeout (headers, and between body chunks)",
      positive,
      d.timeoutS,
    )
    .option("--seed <n>", "seed of prompts, lengths, model picks and Poisson arrivals", parseInteger, d.seed)
    .option("--compare <files...>", "compare two report.json files (A B) instead of running")
    .action(async (port: string | undefined, flags: CommandFlags) => {
      const { compare, ...benchFlags } = flags;
      const { runBenchCommand } = await import("../bench/command.js");
      await runBenchCommand({ port, flags: benchFlags, compare });
    });
}
