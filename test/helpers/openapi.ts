/**
 * Validates our OpenAI-protocol responses against OpenAI's published OpenAPI document (OpenAPI 3.1).
 * The repository carries the part of it the tests use, `test/fixtures/openai-openapi-subset.json`: every
 * schema reachable from the response, error and Responses API roots, cut by `scripts/openapi-subset.mjs`,
 * whose `info` names the document's version.
 *
 * The document is loaded once, added to one Ajv (JSON Schema 2020-12) instance under an `$id`, and each
 * `components/schemas/<Name>` is compiled on first use and cached.
 *
 * What the document needs before Ajv accepts it (each a real OpenAPI-ism, not a bug of ours):
 * - `nullable: true` (OpenAPI 3.0 spelling, still used ~110 times, e.g. a chunk's `finish_reason`) means
 *   nothing to JSON Schema, so `null` would be rejected where OpenAI itself sends it. We rewrite each such
 *   node to `anyOf: [<node>, {type: "null"}]`.
 * - `discriminator`, `x-*` extensions, `example`, `deprecated`… are not JSON Schema keywords; `strict: false`
 *   makes Ajv ignore unknown keywords instead of failing (the `anyOf`/`oneOf` branches still validate).
 * - `format` values such as `unixtime`, `int64`, `float`, `double`, `binary` are OpenAPI formats Ajv does not
 *   know; `validateFormats: false` skips formats (types are still checked).
 * - The document as a whole is not valid against the 2020-12 meta-schema (it is an OpenAPI document), so
 *   meta-schema validation is off for it.
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

export const OPENAI_SPEC_PATH = fileURLToPath(
  new URL("../fixtures/openai-openapi-subset.json", import.meta.url),
);

const SPEC_ID = "https://switchyard.local/openai-openapi.json";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Rewrites OpenAPI's `nullable: true` into JSON Schema (see the module comment). */
export function rewriteNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (node === null || typeof node !== "object") return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    // Under `properties` the keys are property names, never keywords: recurse into each value only.
    if (key === "properties" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      const properties: { [key: string]: Json } = {};
      for (const [name, schema] of Object.entries(value)) properties[name] = rewriteNullable(schema);
      out[key] = properties;
    } else if (key !== "nullable") {
      out[key] = rewriteNullable(value);
    }
  }
  if (node.nullable !== true) return out;
  const { description, ...rest } = out;
  const rewritten: { [key: string]: Json } = { anyOf: [rest, { type: "null" }] };
  if (description !== undefined) rewritten.description = description;
  return rewritten;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (ajv) return ajv;
  const spec = JSON.parse(readFileSync(OPENAI_SPEC_PATH, "utf8")) as { [key: string]: Json };
  const created = new Ajv2020({
    strict: false,
    validateFormats: false,
    allErrors: true,
    validateSchema: false,
  });
  created.addSchema({ ...(rewriteNullable(spec) as object), $id: SPEC_ID });
  ajv = created;
  return created;
}

function validatorFor(schemaName: string): ValidateFunction {
  const cached = validators.get(schemaName);
  if (cached) return cached;
  const validate = instance().compile({ $ref: `${SPEC_ID}#/components/schemas/${schemaName}` });
  validators.set(schemaName, validate);
  return validate;
}

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .slice(0, 20)
    .map(
      (error) => `  ${error.instancePath || "(root)"} ${error.message ?? ""} ${JSON.stringify(error.params)}`,
    )
    .join("\n");
}

/** Throws a readable error when `value` does not match `components/schemas/<schemaName>`. */
export function validateOpenAI(schemaName: string, value: unknown): void {
  const validate = validatorFor(schemaName);
  if (validate(value)) return;
  throw new Error(
    `response does not match OpenAI schema ${schemaName}:\n${describe(validate.errors ?? [])}\n` +
      `value: ${JSON.stringify(value).slice(0, 2_000)}`,
  );
}

/** Test-friendly alias: same check, named like an assertion. */
export function expectOpenAISchema(schemaName: string, value: unknown): void {
  validateOpenAI(schemaName, value);
}
