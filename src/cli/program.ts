/**
 * The `switchyard` command table. Each subcommand lives in its own file, parses its flags and
 * lazy-imports its runtime, so `switchyard mock` never loads what `gateway` or `serve` need.
 * Exported so tests can parse argv without spawning a process.
 * @module
 */
import { Command } from "commander";
import { registerBenchCommand } from "./bench.js";
import { registerClusterCommand } from "./cluster.js";
import { registerGatewayCommand } from "./gateway.js";
import { registerMockCommand } from "./mock.js";
import { registerServeCommand } from "./serve.js";

export function buildProgram(): Command {
  const program = new Command("switchyard")
    .description("An OpenAI- and Anthropic-compatible LLM gateway, mock backend and local cluster")
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError()
    .enablePositionalOptions();
  registerGatewayCommand(program);
  registerMockCommand(program);
  registerClusterCommand(program);
  registerServeCommand(program);
  registerBenchCommand(program);
  return program;
}
