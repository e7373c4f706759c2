/** Parses `switchyard <args>` without spawning a process, capturing what commander prints. */
import type { Command } from "commander";
import { buildProgram, type ProgramOptions } from "../../src/cli/program.js";

export async function parseArgs(
  args: string[],
  options: ProgramOptions,
): Promise<{ output: string; error?: unknown }> {
  const program = buildProgram(options);
  let output = "";
  const capture = (command: Command) => {
    command.exitOverride().configureOutput({
      writeOut: (text) => {
        output += text;
      },
      writeErr: (text) => {
        output += text;
      },
    });
  };
  capture(program);
  for (const command of program.commands) capture(command);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    return { output, error };
  }
  return { output };
}
