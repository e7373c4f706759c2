/**
 * `switchyard gateway`: its settings are declared in config/schema.ts (GATEWAY_OPTIONS) and its
 * process options here, both with the option mechanism of src/options/, so help text, env vars and
 * defaults stay in one place. A gateway told nothing starts with no backends and says
 * how to add one; `--demo` (the quick start, `npm start`) adds four local mock backends. `--check`
 * validates the same sources and describes them instead of starting.
 *
 * `--workers N|auto` (env SWITCHYARD_WORKERS; default 1) is a process option, not a config
 * setting: with N > 1 a `node:cluster` primary runs N gateway workers on one port (see
 * gateway-process/workers.ts), which shares exact state with them over IPC, or through `--redis`.
 * @module
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import type { ConfigSources } from "../config/load.js";
import { GATEWAY_OPTIONS } from "../config/schema.js";
import { addOptions, rawValues } from "../options/commander.js";
import { defineOptions } from "../options/declare.js";

/** Read from the working directory when present, as the key-pool proxies' quick starts expect. */
const DEFAULT_ENV_FILE = ".env";

const WORKERS_EXPECTED = 'expected a whole number ≥ 1 or "auto"';

/** The gateway's process options: where its configuration comes from and how it runs, not settings. */
export const GATEWAY_PROCESS_OPTIONS = defineOptions({
  config: {
    type: z.string().min(1).optional(),
    flag: "--config <file>",
    env: ["SWITCHYARD_CONFIG"],
    // The loader reads it, from the real environment or the .env file.
    envReadByCaller: true,
    help: "config file: native JSON/YAML or a two_models_config.json router file",
  },
  // Not `--env-file`: Node 20 claims that flag anywhere on its command line, even after the script.
  dotenv: {
    type: z.string().optional(),
    flag: "--dotenv <path>",
    env: ["SWITCHYARD_DOTENV"],
    shownDefault: DEFAULT_ENV_FILE,
    help: "read variables from this dotenv file instead of ./.env; variables set in the real environment win over it",
  },
  backend: {
    type: z.array(z.string()).optional(),
    flag: "--backend <[name=]url>",
    repeatable: true,
    env: ["SWITCHYARD_BACKENDS"],
    // The loader adds the variable's comma-separated backends to the flags' ones.
    envReadByCaller: true,
    help: "add a backend; its models are read from its /v1/models (repeatable)",
  },
  workers: {
    type: z
      .number({ error: WORKERS_EXPECTED })
      .int({ error: WORKERS_EXPECTED })
      .min(1, { error: WORKERS_EXPECTED })
      .default(1),
    flag: "--workers <n|auto>",
    env: ["SWITCHYARD_WORKERS"],
    fromText: (text) => {
      const word = text.trim().toLowerCase();
      if (word === "auto") return availableParallelism();
      return word === "" ? text : Number(word);
    },
    help: "gateway worker processes behind one port (node:cluster); auto = one per core; workers share caps, circuits and registrations through the primary, or through --redis when set",
  },
  check: {
    type: z.boolean().default(false),
    flag: "--check",
    help: "validate the whole configuration (config file, .env, environment, flags), print what the gateway would run with (secrets as counts only) and exit: 0 when valid",
  },
  demo: {
    type: z.boolean().default(false),
    flag: "--demo",
    help: "quick start: also run four local mock backends serving mock-model (what `npm start` does); without it the gateway serves only the backends you configure",
  },
});

/** What a parsed `switchyard gateway` command line asks for. */
export interface GatewayRun {
  sources: ConfigSources;
  demo: boolean;
  check: boolean;
  workers: number;
}

/** The command line → the loader's sources (settings stay text: the loader validates them with file and env). */
export function toGatewayRun(command: Command, env: NodeJS.ProcessEnv = process.env): GatewayRun {
  const given = GATEWAY_PROCESS_OPTIONS.parse(rawValues(command, GATEWAY_PROCESS_OPTIONS), env);
  return {
    sources: {
      file: given.config,
      flags: rawValues(command, GATEWAY_OPTIONS),
      backendSpecs: given.backend ?? [],
      envFile: given.dotenv
        ? { path: resolve(given.dotenv), optional: false }
        : { path: resolve(DEFAULT_ENV_FILE), optional: true },
    },
    demo: given.demo,
    check: given.check,
    workers: given.workers,
  };
}

export function registerGatewayCommand(
  program: Command,
  run: (input: GatewayRun) => Promise<void> = runGatewayCommand,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const command = program
    .command("gateway")
    .description("Route OpenAI-compatible requests by model to healthy backends");
  addOptions(command, GATEWAY_PROCESS_OPTIONS);
  addOptions(command, GATEWAY_OPTIONS);
  command.action(async (_flags: unknown, self: Command) => {
    await run(toGatewayRun(self, env));
  });
}

async function runGatewayCommand({ sources, demo, check, workers: count }: GatewayRun): Promise<void> {
  if (check) {
    const { checkGatewayConfig } = await import("./check-config.js");
    process.stdout.write(checkGatewayConfig(sources, { demo, workers: count }));
    return;
  }
  // A lone gateway (the usual case) never loads the --workers machinery.
  const { isGatewayWorker } = await import("../gateway-process/worker-role.js");
  if (isGatewayWorker()) {
    const workers = await import("../gateway-process/workers.js");
    const { runGateway } = await import("./run-gateway.js");
    await runGateway(workers.workerGatewaySources(sources), {
      onReady: workers.announceWorkerReady,
      shareFigures: workers.shareWorkerFigures,
    });
    return;
  }
  if (count > 1) {
    const workers = await import("../gateway-process/workers.js");
    await workers.runGatewayPrimary(sources, count, { demo });
    return;
  }
  const { runGateway } = await import("./run-gateway.js");
  await runGateway(sources, { demo });
}
