/**
 * A declared option table on a commander command: every entry becomes an option (or a positional
 * argument) whose help shows the env variables and the default, and `readOptions` hands what the
 * command line gave to the table's `parse`. Commander only splits the command line here; it applies
 * no defaults, reads no env and checks no values, so zod validates once.
 * @module
 */
import { type Command, Option } from "commander";
import type { DeclaredOptions, OptionEntry, OptionTable, OptionValues, RawValues } from "./declare.js";

/** The help line of an entry: its text, then its env variables and default. */
export function helpText(declared: DeclaredOptions<OptionTable>, entry: OptionEntry): string {
  const notes: string[] = [];
  if (entry.env.length > 0) notes.push(`env ${entry.env.join(", ")}`);
  const shown = declared.shownDefault(entry);
  if (shown !== undefined) notes.push(`default: ${shown}`);
  return notes.length > 0 ? `${entry.help} (${notes.join("; ")})` : entry.help;
}

export function addOptions<T extends OptionTable>(command: Command, declared: DeclaredOptions<T>): Command {
  for (const entry of declared.entries) {
    const help = helpText(declared as DeclaredOptions<OptionTable>, entry);
    if (entry.positional) {
      command.argument(entry.flag, help);
      continue;
    }
    const option = new Option(entry.flag, help);
    if (entry.repeatable) option.argParser(collect);
    command.addOption(option);
    for (const alias of entry.aliases ?? []) {
      const other = new Option(alias, `same as ${entry.name}`);
      if (entry.repeatable) other.argParser(collect);
      command.addOption(other);
    }
  }
  return command;
}

/** What the command line gave, keyed like the table; options it did not give are absent. */
export function rawValues<T extends OptionTable>(command: Command, declared: DeclaredOptions<T>): RawValues {
  const raw: RawValues = {};
  for (const entry of declared.entries) {
    if (entry.positional) {
      const index = command.registeredArguments.findIndex((argument) => argument.name() === entry.name);
      const value = command.processedArgs[index] as string | string[] | undefined;
      if (value !== undefined) raw[entry.key] = value;
      continue;
    }
    // The main spelling wins over an alias given on the same line.
    for (const flag of [entry.flag, ...(entry.aliases ?? [])]) {
      const attribute = new Option(flag).attributeName();
      if (command.getOptionValueSource(attribute) !== "cli") continue;
      raw[entry.key] = command.getOptionValue(attribute) as RawValues[string];
      break;
    }
  }
  return raw;
}

/** The command line over `env` over the defaults, validated; throws OptionsError. */
export function readOptions<T extends OptionTable>(
  command: Command,
  declared: DeclaredOptions<T>,
  env: NodeJS.ProcessEnv = process.env,
): OptionValues<T> {
  return declared.parse(rawValues(command, declared), env);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
