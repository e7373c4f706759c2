/**
 * What `switchyard bench` does once its flags are parsed (the CLI lazy-imports this): compare two
 * reports, or resolve the models (flags, `--config`, or the target's `/v1/models`), validate the
 * options and run the bench. A run where nothing succeeded exits with status 1.
 * @module
 */
import { readConfigModels } from "./config-models.js";
import { discoverModels } from "./discover-models.js";
import { type BenchFlags, resolveBenchOptions, targetUrl } from "./options.js";
import { runBench } from "./run-bench.js";
import { runCompare } from "./run-compare.js";

export interface BenchCommandInput {
  port?: string | undefined;
  flags: BenchFlags;
  compare?: string[] | undefined;
}

export async function runBenchCommand(input: BenchCommandInput): Promise<void> {
  const { flags } = input;
  if (input.compare) {
    await runCompare(input.compare, flags.out, process.stdout);
    return;
  }
  let configModels = flags.config ? readConfigModels(flags.config) : undefined;
  if (!flags.model && !configModels)
    configModels = await discoverModels(targetUrl(flags, input.port), flags.apiKey);
  const context = { port: input.port, configModels, isTty: process.stdout.isTTY === true };
  const options = resolveBenchOptions(flags, context);
  const report = await runBench(options, { stdout: process.stdout, stderr: process.stderr });
  if (report.overall.requests.ok === 0) process.exitCode = 1;
}
