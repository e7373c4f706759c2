/**
 * `response_format`: what the client asked the output to be, and the check that the output is it.
 *
 * - `text` (default): no constraint.
 * - `json_object`: generation is held to JSON syntax by a grammar; the result must parse.
 * - `json_schema`: generation is held to the schema by a grammar built from it, and the result is then
 *   validated with Ajv, because a grammar guarantees syntax but not every keyword (`pattern`, `format`,
 *   numeric bounds, `1e999` for an integer…). The schema is compiled once here, so a schema Ajv cannot
 *   compile is a 400 before any slot is taken.
 *
 * Compiled validators are cached by schema text (LRU) and removed from Ajv on eviction, since Ajv keeps
 * every schema it compiled.
 * @module
 */
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { LruCache } from "./lru.js";

/** The output contract of one request. */
export type OutputFormat =
  | { readonly kind: "text" }
  | { readonly kind: "json_object" }
  | {
      readonly kind: "json_schema";
      readonly name: string;
      readonly schema: Readonly<Record<string, unknown>>;
      /** The schema as text: the cache key for its grammar. */
      readonly key: string;
      readonly validate: ValidateFunction;
    };

export interface FormatError {
  readonly message: string;
  readonly param: string;
}

export type FormatResult =
  | { readonly ok: true; readonly format: OutputFormat }
  | { readonly ok: false; readonly error: FormatError };

/** What {@link checkOutput} found. */
export type OutputCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const TEXT: OutputFormat = { kind: "text" };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface Compiled {
  readonly validate: ValidateFunction;
  readonly ajv: Ajv | Ajv2020;
  readonly schema: AnySchema;
}

// Unknown keywords and formats are skipped rather than fatal: OpenAI-style schemas carry extras
// (`title`, `strict`…), and no format plugin is installed.
const options = { strict: false, allErrors: true, validateFormats: false } as const;
const draft07 = new Ajv(options);
const draft2020 = new Ajv2020(options);
const compiled = new LruCache<string, Compiled>(64, (entry) => entry.ajv.removeSchema(entry.schema));

/** Draft-07 and older schemas say so in `$schema`; everything else is read as 2020-12. */
function ajvFor(schema: Readonly<Record<string, unknown>>): Ajv | Ajv2020 {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  return /draft-0[4-7]/.test(declared) ? draft07 : draft2020;
}

function compile(key: string, schema: Readonly<Record<string, unknown>>): ValidateFunction | string {
  const cached = compiled.get(key);
  if (cached !== undefined) return cached.validate;
  // Ajv refuses a second schema with the same $id; the cache key already identifies it.
  const { $id: _id, ...withoutId } = schema;
  const ajv = ajvFor(schema);
  try {
    const validate = ajv.compile(withoutId);
    compiled.set(key, { validate, ajv, schema: withoutId });
    return validate;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Reads `response_format`; a missing or null one means text. */
export function parseResponseFormat(value: unknown): FormatResult {
  if (value === undefined || value === null) return { ok: true, format: TEXT };
  const invalid = (message: string, param = "response_format"): FormatResult => ({
    ok: false,
    error: { message, param },
  });
  if (!isRecord(value)) return invalid("Invalid value for 'response_format': expected an object.");
  switch (value.type) {
    case "text":
      return { ok: true, format: TEXT };
    case "json_object":
      return { ok: true, format: { kind: "json_object" } };
    case "json_schema": {
      const spec = value.json_schema;
      if (!isRecord(spec) || !isRecord(spec.schema)) {
        return invalid(
          "Missing required parameter: 'response_format.json_schema.schema'.",
          "response_format.json_schema.schema",
        );
      }
      const key = JSON.stringify(spec.schema);
      const validate = compile(key, spec.schema);
      if (typeof validate === "string") {
        return invalid(
          `Invalid JSON schema in 'response_format.json_schema.schema': ${validate}`,
          "response_format.json_schema.schema",
        );
      }
      const name = typeof spec.name === "string" ? spec.name : "response";
      return { ok: true, format: { kind: "json_schema", name, schema: spec.schema, key, validate } };
    }
    default:
      return invalid(
        "Invalid value for 'response_format.type': expected one of text, json_object, json_schema.",
        "response_format.type",
      );
  }
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || "(root)"} ${error.message ?? "is invalid"}`)
    .join("; ");
}

/**
 * Where a parsed value holds a number JSON.parse turned into ±Infinity (`1e999`): grammars let such
 * digits through, Ajv counts Infinity as an integer, and re-serialised it would become `null`.
 */
function nonFinitePath(value: unknown, path: string): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : path;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFinitePath(item, `${path}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whether `text` is what `format` promises: parseable JSON for the JSON kinds, valid for a schema. */
export function checkOutput(format: OutputFormat, text: string): OutputCheck {
  if (format.kind === "text") return { ok: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `the output is not JSON (${(error as Error).message})` };
  }
  const overflow = nonFinitePath(value, "");
  if (overflow !== undefined) {
    return { ok: false, reason: `the output has a number out of range at ${overflow || "(root)"}` };
  }
  if (format.kind === "json_object") {
    return isRecord(value) ? { ok: true } : { ok: false, reason: "the output is not a JSON object" };
  }
  if (format.validate(value)) return { ok: true };
  return {
    ok: false,
    reason: `the output does not match the schema: ${describeErrors(format.validate.errors)}`,
  };
}
