/**
 * The `switchyard` root command without its subcommands: name, description, version and the
 * parsing settings every command line shares. program.ts adds all five subcommands to it;
 * program-for.ts only the one a command line names.
 * @module
 */
import { Command } from "commander";

export function rootCommand(): Command {
  return new Command("switchyard")
    .description("An OpenAI- and Anthropic-compatible LLM gateway, mock backend and local cluster")
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError()
    .enablePositionalOptions();
}
