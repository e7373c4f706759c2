/**
 * Every subcommand's flag table in the README is checked against its option declaration: each
 * declared flag has a row with its env variables and default, and each flag in a table is declared.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BENCH_OPTIONS } from "../../src/bench/options.js";
import { GATEWAY_PROCESS_OPTIONS } from "../../src/cli/gateway.js";
import { CLUSTER_OPTIONS } from "../../src/cluster/options.js";
import { GATEWAY_OPTIONS } from "../../src/config/schema.js";
import { MOCK_OPTIONS } from "../../src/mock/options.js";
import type { DeclaredOptions, OptionEntry, OptionTable } from "../../src/options/declare.js";
import { SERVE_OPTIONS } from "../../src/serve/options.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8").split("\n");

type Declared = DeclaredOptions<OptionTable>;

const COMMANDS: { command: string; heading: string; tables: Declared[] }[] = [
  {
    command: "gateway",
    heading: "### Configuration",
    tables: [GATEWAY_OPTIONS, GATEWAY_PROCESS_OPTIONS] as unknown as Declared[],
  },
  { command: "cluster", heading: "## A local cluster", tables: [CLUSTER_OPTIONS] as unknown as Declared[] },
  { command: "mock", heading: "## The mock backend", tables: [MOCK_OPTIONS] as unknown as Declared[] },
  {
    command: "serve",
    heading: "## Serving a local model: `switchyard serve`",
    tables: [SERVE_OPTIONS] as unknown as Declared[],
  },
  {
    command: "bench",
    heading: "## Load testing: `switchyard bench`",
    tables: [BENCH_OPTIONS] as unknown as Declared[],
  },
];

/** The lines under a heading, up to the next heading outside a code block. */
function section(heading: string): string[] {
  const start = readme.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const lines: string[] = [];
  let fenced = false;
  for (const line of readme.slice(start + 1)) {
    if (line.startsWith("```")) fenced = !fenced;
    if (!fenced && line.startsWith("#")) break;
    lines.push(line);
  }
  return lines;
}

interface Row {
  flags: string;
  env: string;
  defaults: string;
}

function cells(line: string): string[] {
  return line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The rows of every table in the section whose header has a `flag` column. */
function rows(lines: string[]): Row[] {
  const found: Row[] = [];
  let header: string[] | undefined;
  for (const line of lines) {
    if (!line.startsWith("|")) {
      header = undefined;
      continue;
    }
    const row = cells(line);
    if (!header) {
      header = row;
      continue;
    }
    if (row.every((cell) => /^-+$/.test(cell))) continue;
    const at = (name: string) => row[header!.indexOf(name)] ?? "";
    if (header.includes("flag"))
      found.push({ flags: at("flag"), env: at("environment"), defaults: at("default") });
  }
  return found;
}

/** A cell names a flag when it holds it in backticks, alone or followed by its value. */
function names(cell: string, flag: string): boolean {
  return cell.includes(`\`${flag}\``) || cell.includes(`\`${flag} `);
}

function spelling(entry: OptionEntry): string {
  return entry.positional ? entry.name.toUpperCase() : entry.name;
}

describe.each(COMMANDS)("README: switchyard $command", ({ heading, tables }) => {
  const table = rows(section(heading));

  it.each(
    tables.flatMap((declared) =>
      declared.entries.map((entry) => ({ declared, entry, flag: spelling(entry) })),
    ),
  )("documents $flag with its env variables and default", ({ declared, entry, flag }) => {
    const row = table.find((candidate) => names(candidate.flags, flag));
    expect(row, `a row for ${flag}`).toBeDefined();
    for (const alias of entry.aliases ?? [])
      expect(
        table.some((candidate) => names(candidate.flags, alias)),
        `a row for ${alias}`,
      ).toBe(true);
    for (const name of entry.env) expect(row!.env || row!.flags, `${flag}: env`).toContain(`\`${name}\``);
    const shown = declared.shownDefault(entry);
    if (shown !== undefined) expect(row!.defaults, `${flag}: default`).toContain(`\`${shown}\``);
  });

  it("documents only declared flags", () => {
    const declared = tables.flatMap((options) =>
      options.entries.flatMap((entry) => [spelling(entry), ...(entry.aliases ?? [])]),
    );
    for (const row of table) {
      for (const [, flag] of row.flags.matchAll(/`(--[a-z0-9-]+)/g))
        expect(declared, `README row ${row.flags}`).toContain(flag);
    }
  });
});
