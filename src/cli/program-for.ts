/**
 * The command table a command line needs. `switchyard gateway …` gets the root command with only
 * `gateway` on it, so it never loads the other subcommands' option tables (their zod schemas and
 * what those import): every process start pays for what it loads, and tests and clusters start
 * many. `--version` needs no subcommand at all. Anything else (`--help`, no command, an unknown
 * one) gets the whole table from program.ts, so help and "unknown command" read as ever.
 * @module
 */
import type { Command } from "commander";
import { rootCommand } from "./root.js";

type Register = (program: Command) => Promise<void>;

const SUBCOMMANDS: Readonly<Record<string, Register>> = {
  gateway: async (program) => (await import("./gateway.js")).registerGatewayCommand(program),
  mock: async (program) => (await import("./mock.js")).registerMockCommand(program),
  cluster: async (program) => (await import("./cluster.js")).registerClusterCommand(program),
  serve: async (program) => (await import("./serve.js")).registerServeCommand(program),
  bench: async (program) => (await import("./bench.js")).registerBenchCommand(program),
};

const VERSION_FLAGS = new Set(["-V", "--version"]);

/** `argv` as in `process.argv`: the node binary, the script, then the user's words. */
export async function programFor(argv: readonly string[]): Promise<Command> {
  const first = argv[2];
  if (first !== undefined && VERSION_FLAGS.has(first)) return rootCommand();
  const register = first !== undefined && Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
  if (!register) return (await import("./program.js")).buildProgram();
  const program = rootCommand();
  await register(program);
  return program;
}

/** The subcommands programFor knows by name (a test checks them against program.ts's table). */
export const SUBCOMMAND_NAMES: readonly string[] = Object.keys(SUBCOMMANDS);
