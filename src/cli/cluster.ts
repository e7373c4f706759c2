/**
 * `switchyard cluster`, flag for flag as the local mock-cluster procedure it replaces, plus the mock knobs
 * that make the cluster useful for demos and benchmarks.
 * @module
 */
import type { Command } from "commander";
import { parseInteger, parseNonNegative, parsePort } from "./parse.js";

interface ClusterFlags {
  host: string;
  backendHost?: string;
  lbHost?: string;
  numBackends: number;
  backendBasePort: number;
  lbPort: number;
  quiet?: boolean;
  models: string;
  strategy?: string;
  healthInterval?: string;
  logLevel?: string;
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  config?: string;
  readyTimeout: number;
  replicas: number;
  redis?: string;
}

export function registerClusterCommand(program: Command): void {
  program
    .command("cluster")
    .description("Run N local mock backends and a gateway in front of them")
    .option("--host <host>", "address for the backends and the gateway", "127.0.0.1")
    .option("--backend-host <host>", "address the backends bind (default: --host)")
    .option("--lb-host <host>", "address the gateway binds (default: --host)")
    .option("--num-backends <n>", "how many mock backends", parseInteger, 4)
    .option(
      "--backend-base-port <port>",
      "port of the first backend, the rest follow (0: free ports)",
      parsePort,
      32100,
    )
    .option(
      "--lb-port <port>",
      "port of the gateway; replicas take consecutive ports from it (0: a free port each)",
      parsePort,
      32000,
    )
    .option(
      "--replicas <n>",
      "how many gateway replicas (one READY gateway line each, in replica order)",
      parseInteger,
      1,
    )
    .option("--redis <url>", "Redis the gateway replicas share registrations, circuits and caps through")
    .option("--quiet", "print only the READY lines and errors")
    .option(
      "--config <file>",
      "start the backends this gateway config names (start_command or serve entries) instead of mocks",
    )
    .option(
      "--ready-timeout <seconds>",
      "how long a started backend may take to become ready",
      parseNonNegative,
      600,
    )
    .option("--models <list>", "models every mock serves (comma-separated)", "mock-model")
    .option("--strategy <name>", "gateway load-balancing strategy")
    .option("--health-interval <seconds>", "gateway health-check interval")
    .option("--log-level <level>", "gateway log level (default: info, or warn with --quiet)")
    .option("--first-token-delay-ms <ms>", "mock latency before the first token", parseNonNegative)
    .option("--token-delay-ms <ms>", "mock delay between streamed tokens", parseNonNegative)
    .action(async (flags: ClusterFlags) => {
      if (flags.numBackends < 1) throw new Error("--num-backends must be at least 1");
      if (flags.replicas < 1) throw new Error("--replicas must be at least 1");
      if (flags.replicas > 1 && flags.lbPort !== 0 && flags.lbPort + flags.replicas - 1 > 65535)
        throw new Error("--lb-port plus --replicas runs past port 65535");
      const mockArgs: string[] = [];
      if (flags.firstTokenDelayMs !== undefined)
        mockArgs.push("--first-token-delay-ms", String(flags.firstTokenDelayMs));
      if (flags.tokenDelayMs !== undefined) mockArgs.push("--token-delay-ms", String(flags.tokenDelayMs));
      const { runCluster } = await import("../cluster/cluster.js");
      await runCluster({
        config: flags.config,
        readyTimeoutMs: flags.readyTimeout * 1000,
        backendHost: flags.backendHost ?? flags.host,
        lbHost: flags.lbHost ?? flags.host,
        numBackends: flags.numBackends,
        backendBasePort: flags.backendBasePort,
        lbPort: flags.lbPort,
        quiet: flags.quiet === true,
        models: flags.models,
        strategy: flags.strategy,
        healthInterval: flags.healthInterval,
        logLevel: flags.logLevel,
        mockArgs,
        replicas: flags.replicas,
        redis: flags.redis,
      });
    });
}
