/**
 * `switchyard gateway`: flags come from the settings table in config/schema.ts, so help text,
 * env vars and defaults stay in one place. With no backend configured anywhere, the gateway starts
 * its embedded default: a local cluster of four mock backends on loopback.
 * @module
 */
import type { Command } from "commander";
import {
  defaultGatewayConfig,
  formatSettingDefault,
  GATEWAY_SETTINGS,
  type GatewaySettingKey,
} from "../config/schema.js";

interface GatewayFlags {
  config?: string;
  backend?: string[];
  [attribute: string]: unknown;
}

export function registerGatewayCommand(program: Command): void {
  const command = program
    .command("gateway")
    .description("Route OpenAI-compatible requests by model to healthy backends")
    .option(
      "--config <file>",
      "config file: native JSON/YAML or seed 003's router format (env SWITCHYARD_CONFIG)",
    )
    .option(
      "--backend <[name=]url>",
      "add a backend; its models are read from its /v1/models (repeatable; env SWITCHYARD_BACKENDS)",
      (value: string, previous: string[] = []) => [...previous, value],
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
    const { runGateway } = await import("./run-gateway.js");
    await runGateway({ file: flags.config, flags: settings, backendSpecs: flags.backend ?? [] });
  });
}
