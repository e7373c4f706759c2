/**
 * `.env` files: `KEY=value` lines, as the hosted-API key-pool proxies ship them. Beyond what
 * Node's `util.parseEnv` reads, a value may be an unquoted JSON object or array spread over several
 * lines (`SERVICE_ENDPOINTS={` … `}`): it continues until its brackets balance.
 *
 * Accepted: blank lines and `#` comments; an `export ` prefix; values in double quotes (`\n`, `\"`
 * and `\\` escapes), single quotes or backticks (taken as written), any of them spanning lines;
 * unquoted values, trimmed, with a ` #` comment cut off. Anything else is an error naming its line,
 * so a typo stops the gateway instead of silently dropping a setting.
 * @module
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.js";

/** A dotenv file read under the real environment; `optional`: a missing file is no error. */
export interface EnvFileSource {
  path: string;
  optional: boolean;
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** The variables of a file, or {} when an optional file does not exist. */
export function readEnvFile(source: EnvFileSource): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(source.path, "utf8");
  } catch (error) {
    if (source.optional && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read env file ${source.path}: ${(error as Error).message}`);
  }
  try {
    return parseEnvFile(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`env file ${source.path}: ${error.message}`);
    throw error;
  }
}

export function parseEnvFile(text: string): Record<string, string> {
  const source = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const variables: Record<string, string> = {};
  let at = 0;
  while (at < source.length) {
    const lineEnd = endOfLine(source, at);
    const line = source.slice(at, lineEnd).trim();
    if (line === "" || line.startsWith("#")) {
      at = lineEnd + 1;
      continue;
    }
    const lineNumber = lineOf(source, at);
    const start = at + (source.slice(at, lineEnd).length - source.slice(at, lineEnd).trimStart().length);
    const match = ASSIGNMENT.exec(source.slice(start, lineEnd));
    if (!match) throw new ConfigError(`line ${lineNumber}: expected KEY=value, got "${line.slice(0, 40)}"`);
    const key = match[1]!;
    const { value, end } = readValue(source, start + match[0].length, key, lineNumber);
    variables[key] = value;
    at = end + 1;
  }
  return variables;
}

/** Reads the value starting at `from`; `end` is the index of the newline (or length) after it. */
function readValue(
  source: string,
  from: number,
  key: string,
  lineNumber: number,
): { value: string; end: number } {
  const opener = source[from];
  if (opener === '"' || opener === "'" || opener === "`") {
    const { value, close } = readQuoted(source, from, key, lineNumber);
    const end = endOfLine(source, close + 1);
    const rest = source.slice(close + 1, end).trim();
    if (rest !== "" && !rest.startsWith("#"))
      throw new ConfigError(`line ${lineNumber}: unexpected text after the quoted value of ${key}`);
    return { value, end };
  }
  if (opener === "{" || opener === "[") {
    const close = balancedEnd(source, from);
    if (close === undefined)
      throw new ConfigError(
        `line ${lineNumber}: the value of ${key} opens with ${opener} but its brackets never close`,
      );
    return { value: source.slice(from, close + 1), end: endOfLine(source, close + 1) };
  }
  const end = endOfLine(source, from);
  const raw = source.slice(from, end);
  const comment = raw.search(/\s#/);
  return { value: (comment >= 0 ? raw.slice(0, comment) : raw).trim(), end };
}

function readQuoted(source: string, from: number, key: string, lineNumber: number) {
  const quote = source[from]!;
  let value = "";
  for (let at = from + 1; at < source.length; at++) {
    const char = source[at]!;
    if (char === quote) return { value, close: at };
    if (quote === '"' && char === "\\" && at + 1 < source.length) {
      const next = source[at + 1]!;
      value += DOUBLE_QUOTE_ESCAPES[next] ?? `\\${next}`;
      at++;
      continue;
    }
    value += char;
  }
  throw new ConfigError(`line ${lineNumber}: the value of ${key} opens a ${quote} quote that never closes`);
}

/** Index of the bracket that closes the one at `from`, skipping JSON strings; undefined if none. */
function balancedEnd(source: string, from: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let at = from; at < source.length; at++) {
    const char = source[at]!;
    if (inString) {
      if (char === "\\") at++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return at;
    }
  }
  return undefined;
}

function endOfLine(source: string, from: number): number {
  const newline = source.indexOf("\n", from);
  return newline < 0 ? source.length : newline;
}

function lineOf(source: string, index: number): number {
  let line = 1;
  for (let at = source.indexOf("\n"); at >= 0 && at < index; at = source.indexOf("\n", at + 1)) line++;
  return line;
}
