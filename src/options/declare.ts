/**
 * One way to declare a subcommand's options: each option is one entry holding its zod type (which
 * carries validation and the default), its flag spelling and other accepted spellings, its
 * environment variables and its help text. From the table come the zod object schema, the shown
 * defaults, and `parse`, which takes flag and env text (flags over env over defaults) and validates
 * it once, with errors that name the flag or variable the bad value came from.
 * The commander side lives in commander.ts; the README check in test/cli/readme-options.test.ts.
 * @module
 */
import { z } from "zod";

export interface OptionSpec<T extends z.ZodType = z.ZodType> {
  /** Type, validation and default of the value. */
  type: T;
  /**
   * Commander syntax: `--port <port>`, `--quiet`, `--no-tui`, `--access-log [bool]`, `--files <f...>`;
   * `[port]` or `<port>` declares a positional argument.
   */
  flag: string;
  /** Other spellings accepted for the same option (`--no-curses` for `--no-tui`); the main flag wins. */
  aliases?: readonly string[];
  /** Environment variables, first set one wins; a flag wins over all of them. */
  env?: readonly string[];
  /**
   * The env variables are documented here but read by the caller (the gateway's loader reads them
   * together with its config file and `.env`), so `parse` ignores them.
   */
  envReadByCaller?: boolean;
  help: string;
  /** The default as `--help` and the README show it, where the schema has none to show or a machine-dependent one. */
  shownDefault?: string;
  /** The flag may be given several times; the values are collected in order. */
  repeatable?: boolean;
  /** Turns one flag or env text into the type's input; by default numbers, booleans and lists are read by type. */
  fromText?: (text: string) => unknown;
}

export type OptionTable = Record<string, OptionSpec>;
type Shape<T extends OptionTable> = { [K in keyof T]: T[K]["type"] };
export type OptionValues<T extends OptionTable> = z.output<z.ZodObject<Shape<T>>>;

/** What one command line gave: a flag's text (or texts, or `true`/`false` for switches), keyed like the table. */
export type RawValues = Record<string, string | readonly string[] | boolean | undefined>;

/** A bad option value: one line, naming the flag or variable. */
export class OptionsError extends Error {
  override name = "OptionsError";
}

export interface OptionEntry<K extends string = string> extends OptionSpec {
  key: K;
  env: readonly string[];
  /** The long flag without its value (`--port`), or the argument's name for a positional one. */
  name: string;
  positional: boolean;
}

export interface DeclaredOptions<T extends OptionTable> {
  readonly entries: readonly OptionEntry<Extract<keyof T, string>>[];
  readonly schema: z.ZodObject<Shape<T>>;
  /** The entry's default as help and README show it; undefined when there is none to show. */
  shownDefault(entry: OptionEntry): string | undefined;
  /** Flags over env over defaults, validated once; throws OptionsError. */
  parse(raw: RawValues, env?: NodeJS.ProcessEnv): OptionValues<T>;
}

export function defineOptions<const T extends OptionTable>(table: T): DeclaredOptions<T> {
  const entries = Object.entries(table).map(([key, spec]) => toEntry(key, spec)) as OptionEntry<
    Extract<keyof T, string>
  >[];
  const shape = Object.fromEntries(entries.map((entry) => [entry.key, entry.type])) as Shape<T>;
  const schema = z.object(shape);
  return {
    entries,
    schema,
    shownDefault,
    parse(raw, env = {}) {
      const input: Record<string, unknown> = {};
      const source = new Map<string, { label: string; text: string }>();
      for (const entry of entries) {
        const given = raw[entry.key];
        if (given !== undefined) {
          input[entry.key] = fromRaw(entry, given);
          const text =
            typeof given === "string" ? given : Array.isArray(given) ? given.join(" ") : String(given);
          source.set(entry.key, { label: entry.name, text });
          continue;
        }
        if (entry.envReadByCaller) continue;
        const name = entry.env.find((candidate) => env[candidate] !== undefined && env[candidate] !== "");
        if (name === undefined) continue;
        input[entry.key] = fromRaw(entry, env[name]!);
        source.set(entry.key, { label: name, text: env[name]! });
      }
      const result = schema.safeParse(input);
      if (result.success) return result.data as OptionValues<T>;
      throw new OptionsError(describeIssues(result.error, entries, source));
    },
  };
}

/** A default as help text and the README write it: lists comma-separated, maps as JSON, none as "none". */
export function formatDefault(value: unknown): string {
  if (value === undefined) return "none";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

function toEntry(key: string, spec: OptionSpec): OptionEntry {
  const positional = /^[<[]/.test(spec.flag);
  const name = positional
    ? spec.flag.replace(/[<>[\].]/g, "")
    : (spec.flag.split(/[\s,]+/).find((part) => part.startsWith("--")) ?? spec.flag);
  return { ...spec, key, name, positional, env: spec.env ?? [] };
}

function shownDefault(entry: OptionEntry): string | undefined {
  if (entry.shownDefault !== undefined) return entry.shownDefault;
  // A switch's default is its absence; `--no-x` shows only what giving it does.
  if (isSwitch(entry)) return undefined;
  const parsed = entry.type.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? formatDefault(parsed.data) : undefined;
}

/** A flag that takes no value. */
export function isSwitch(entry: OptionEntry): boolean {
  return !entry.positional && !/[<[]/.test(entry.flag);
}

function fromRaw(entry: OptionEntry, raw: string | readonly string[] | boolean): unknown {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string") return entry.fromText ? entry.fromText(raw) : readText(entry.type, raw);
  // Repeated or variadic: each text is one element, or several when it reads as a list (`--share 3,1`).
  const element = elementOf(entry.type);
  return raw.flatMap((text) => {
    const value = entry.fromText ? entry.fromText(text) : readText(element, text);
    return Array.isArray(value) ? value : [value];
  });
}

/** Text read by the type it feeds: numbers, booleans and comma/semicolon lists; anything else as given. */
function readText(type: z.ZodType, text: string): unknown {
  const inner = unwrap(type);
  switch (inner.def.type) {
    case "number":
      // Blank text stays text, so zod says "expected number" rather than taking it as 0.
      return text.trim() === "" ? text : Number(text);
    case "boolean":
      return readBoolean(text);
    case "array":
      return splitList(text).map((item) => readText((inner as z.ZodArray).element as z.ZodType, item));
    default:
      return text;
  }
}

function readBoolean(text: string): unknown {
  const word = text.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(word)) return true;
  if (["false", "0", "no", "off"].includes(word)) return false;
  return text;
}

export function splitList(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function unwrap(type: z.ZodType): z.ZodType {
  let inner = type;
  while (["default", "optional", "nullable", "prefault"].includes(inner.def.type))
    inner = (inner.def as unknown as { innerType: z.ZodType }).innerType;
  return inner;
}

function elementOf(type: z.ZodType): z.ZodType {
  const inner = unwrap(type);
  return inner.def.type === "array" ? ((inner as z.ZodArray).element as z.ZodType) : inner;
}

function describeIssues(
  error: z.ZodError,
  entries: readonly OptionEntry[],
  source: ReadonlyMap<string, { label: string; text: string }>,
): string {
  const lines = error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const entry = entries.find((candidate) => candidate.key === key);
    if (!entry) return issue.message;
    const given = source.get(key);
    if (!given) return `${entry.name} is required`;
    return `${given.label}: ${issue.message} (got "${given.text}")`;
  });
  return lines.join("; ");
}
