/**
 * `switchyard cluster`: its options are declared in cluster/options.ts (CLUSTER_OPTIONS); this file
 * turns them into the runtime's options. The runtime is imported only when the command runs.
 * @module
 */
import type { Command } from "commander";
import type { ClusterOptions } from "../cluster/cluster.js";
import { CLUSTER_OPTIONS } from "../cluster/options.js";
import { addOptions, readOptions } from "../options/commander.js";
import { OptionsError } from "../options/declare.js";

type ClusterFlags = ReturnType<typeof CLUSTER_OPTIONS.parse>;

/** Validated flags → the runtime's options; the one check that spans two flags is made here. */
export function toClusterOptions(flags: ClusterFlags): ClusterOptions {
  if (flags.replicas > 1 && flags.lbPort !== 0 && flags.lbPort + flags.replicas - 1 > 65535)
    throw new OptionsError("--lb-port plus --replicas runs past port 65535");
  const mockArgs: string[] = [];
  if (flags.firstTokenDelayMs !== undefined)
    mockArgs.push("--first-token-delay-ms", String(flags.firstTokenDelayMs));
  if (flags.tokenDelayMs !== undefined) mockArgs.push("--token-delay-ms", String(flags.tokenDelayMs));
  mockArgs.push(...engineSimArgs(flags));
  return {
    config: flags.config,
    readyTimeoutMs: flags.readyTimeout * 1000,
    backendHost: flags.backendHost ?? flags.host,
    lbHost: flags.lbHost ?? flags.host,
    numBackends: flags.numBackends,
    backendBasePort: flags.backendBasePort,
    lbPort: flags.lbPort,
    quiet: flags.quiet,
    models: flags.models,
    strategy: flags.strategy,
    healthInterval: flags.healthInterval,
    logLevel: flags.logLevel,
    mockArgs,
    replicas: flags.replicas,
    redis: flags.redis,
  };
}

/** The engine simulator's flags, passed on to every mock as given (the mock checks them). */
function engineSimArgs(flags: ClusterFlags): string[] {
  if (!flags.engineSim) return [];
  const args = ["--engine-sim"];
  const values: Array<[string, string | number | undefined]> = [
    ["--engine-profile", flags.engineProfile],
    ["--kv-cache-tokens", flags.kvCacheTokens],
    ["--max-num-seqs", flags.maxNumSeqs],
    ["--max-batched-tokens", flags.maxBatchedTokens],
    ["--time-scale", flags.timeScale],
  ];
  for (const [flag, value] of values) if (value !== undefined) args.push(flag, String(value));
  return args;
}

async function runCluster(options: ClusterOptions): Promise<void> {
  const cluster = await import("../cluster/cluster.js");
  await cluster.runCluster(options);
}

export function registerClusterCommand(
  program: Command,
  run: (options: ClusterOptions) => Promise<void> = runCluster,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const command = program
    .command("cluster")
    .description("Run N local mock backends and a gateway in front of them");
  addOptions(command, CLUSTER_OPTIONS).action(async (_flags: unknown, self: Command) => {
    await run(toClusterOptions(readOptions(self, CLUSTER_OPTIONS, env)));
  });
}
