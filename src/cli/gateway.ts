/**
 * `switchyard gateway`: flags come from the settings table in config/schema.ts, so help text,
 * env vars and defaults stay in one place. A gateway told nothing starts with no backends and says
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
import { type Command, InvalidArgumentError, Option } from "commander";
import type { ConfigSources } from "../config/load.js";
import {
  defaultGatewayConfig,
  formatSettingDefault,
  GATEWAY_SETTINGS,
  type GatewaySettingKey,
} from "../config/schema.js";

/** Read from the working directory when present, as the key-pool proxies' quick starts expect. */
const DEFAULT_ENV_FILE = ".env";

interface GatewayFlags {
  config?: string;
  dotenv?: string;
  backend?: string[];
  workers?: number;
  demo?: boolean;
  check?: boolean;
  [attribute: string]: unknown;
}

export function registerGatewayCommand(program: Command): void {
  const command = program
    .command("gateway")
    .description("Route OpenAI-compatible requests by model to healthy backends")
    .option(
      "--config <file>",
      "config file: native JSON/YAML or a two_models_config.json router file (env SWITCHYARD_CONFIG)",
    )
    // Not `--env-file`: Node 20 claims that flag anywhere on its command line, even after the script.
    .addOption(
      new Option(
        "--dotenv <path>",
        "read variables from this dotenv file instead of ./.env; variables set in the real environment win over it",
      ).env("SWITCHYARD_DOTENV"),
    )
    .option(
      "--backend <[name=]url>",
      "add a backend; its models are read from its /v1/models (repeatable; env SWITCHYARD_BACKENDS)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(
      new Option(
        "--workers <n|auto>",
        "gateway worker processes behind one port (node:cluster); auto = one per core; workers share caps, circuits and registrations through the primary, or through --redis when set (default 1)",
      )
        .env("SWITCHYARD_WORKERS")
        .argParser(parseWorkers),
    )
    .option(
      "--check",
      "validate the whole configuration (config file, .env, environment, flags), print what the gateway would run with (secrets as counts only) and exit: 0 when valid",
    )
    .option(
      "--demo",
      "quick start: also run four local mock backends serving mock-model (what `npm start` does); without it the gateway serves only the backends you configure",
    );
  const defaults = defaultGatewayConfig();
  const attributeToKey = new Map<string, GatewaySettingKey>();
  for (const setting of GATEWAY_SETTINGS) {
    const env = setting.env.join(", ");
    const option = command.createOption(
      setting.flag,
      `${setting.description} (env ${env}; default ${formatSettingDefault(defaults[setting.key])})`,
    );
    attributeToKey.set(option.attributeName(), setting.key);
    command.addOption(option);
  }
  command.action(async (flags: GatewayFlags) => {
    const settings: Partial<Record<GatewaySettingKey, unknown>> = {};
    for (const [attribute, key] of attributeToKey) settings[key] = flags[attribute];
    const sources: ConfigSources = {
      file: flags.config,
      flags: settings,
      backendSpecs: flags.backend ?? [],
      envFile: flags.dotenv
        ? { path: resolve(flags.dotenv), optional: false }
        : { path: resolve(DEFAULT_ENV_FILE), optional: true },
    };
    const demo = flags.demo === true;
    if (flags.check) {
      const { checkGatewayConfig } = await import("./check-config.js");
      process.stdout.write(checkGatewayConfig(sources, { demo, workers: flags.workers ?? 1 }));
      return;
    }
    const workers = await import("../gateway-process/workers.js");
    if (workers.isGatewayWorker()) {
      const { runGateway } = await import("./run-gateway.js");
      await runGateway(workers.workerGatewaySources(sources), {
        onReady: workers.announceWorkerReady,
        shareFigures: workers.shareWorkerFigures,
      });
      return;
    }
    if ((flags.workers ?? 1) > 1) {
      await workers.runGatewayPrimary(sources, flags.workers ?? 1, { demo });
      return;
    }
    const { runGateway } = await import("./run-gateway.js");
    await runGateway(sources, { demo });
  });
}

/** `--workers`: a whole number ≥ 1, or `auto` for one worker per available core. */
export function parseWorkers(text: string): number {
  if (text.trim().toLowerCase() === "auto") return availableParallelism();
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1 or "auto", got "${text}"`);
  return value;
}
