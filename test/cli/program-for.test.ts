/**
 * The binary registers only the subcommand its command line names (program-for.ts); that
 * subcommand must read exactly as in the whole table, help included.
 */
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { programFor, SUBCOMMAND_NAMES } from "../../src/cli/program-for.js";

const argv = (...words: string[]) => ["node", "switchyard", ...words];
const names = (program: { commands: readonly { name(): string }[] }) =>
  program.commands.map((command) => command.name());

describe("programFor", () => {
  it("knows every subcommand of the whole table", () => {
    expect([...SUBCOMMAND_NAMES].sort()).toEqual(names(buildProgram()).sort());
  });

  it.each(SUBCOMMAND_NAMES)(
    "registers only %s, with the same options and help as the whole table",
    async (name) => {
      const program = await programFor(argv(name, "--port", "0"));
      expect(names(program)).toEqual([name]);
      const alone = program.commands[0]!;
      const inTable = buildProgram().commands.find((command) => command.name() === name)!;
      expect(alone.options.map((option) => option.flags)).toEqual(
        inTable.options.map((option) => option.flags),
      );
      expect(alone.helpInformation()).toBe(inTable.helpInformation());
    },
  );

  it("answers --version with the root command alone", async () => {
    for (const flag of ["--version", "-V"]) {
      const program = await programFor(argv(flag));
      expect(names(program)).toEqual([]);
      expect(program.version()).toBe(buildProgram().version());
    }
  });

  it("builds the whole table when no subcommand is named", async () => {
    for (const words of [[], ["--help"], ["help", "mock"], ["bogus"], ["--port", "gateway"]]) {
      expect(names(await programFor(argv(...words)))).toEqual(names(buildProgram()));
    }
  });
});
