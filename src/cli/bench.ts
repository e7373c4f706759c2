/**
 * `switchyard bench`: load-test any OpenAI- or Anthropic-compatible endpoint with a live terminal
 * view and a report with charts. The two-model router's form is `bench PORT --config FILE [--no-curses]`; the
 * general one is `bench --url URL --model M …`; `bench --compare A.json B.json` compares two runs.
 * Its options are declared in bench/options.ts (BENCH_OPTIONS); the runtime (and ink) load when the
 * command runs.
 * @module
 */
import type { Command } from "commander";
import type { BenchCommandInput } from "../bench/command.js";
import { BENCH_OPTIONS } from "../bench/options.js";
import { addOptions, readOptions } from "../options/commander.js";

async function runBench(input: BenchCommandInput): Promise<void> {
  const { runBenchCommand } = await import("../bench/command.js");
  await runBenchCommand(input);
}

export function registerBenchCommand(
  program: Command,
  run: (input: BenchCommandInput) => Promise<void> = runBench,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const command = program
    .command("bench")
    .description("Load-test an OpenAI/Anthropic-compatible endpoint: live view, report.json and report.html");
  addOptions(command, BENCH_OPTIONS).action(async (_port: unknown, _flags: unknown, self: Command) => {
    const { port, compare, ...flags } = readOptions(self, BENCH_OPTIONS, env);
    await run({ port, flags, compare });
  });
}
