import { describe, expect, it } from "vitest";
import { checkOutput, type OutputFormat, parseResponseFormat } from "../../src/serve/response-format.js";

function formatOf(value: unknown): OutputFormat {
  const result = parseResponseFormat(value);
  if (!result.ok) throw new Error(result.error.message);
  return result.format;
}

const schema = {
  type: "object",
  properties: { age: { type: "integer", minimum: 0 }, code: { type: "string", pattern: "^[0-9]{3}$" } },
  required: ["age"],
  additionalProperties: false,
};

describe("parseResponseFormat", () => {
  it("reads text, json_object and json_schema", () => {
    expect(formatOf(undefined)).toEqual({ kind: "text" });
    expect(formatOf({ type: "text" })).toEqual({ kind: "text" });
    expect(formatOf({ type: "json_object" })).toEqual({ kind: "json_object" });
    expect(formatOf({ type: "json_schema", json_schema: { name: "p", schema } })).toMatchObject({
      kind: "json_schema",
      name: "p",
      key: JSON.stringify(schema),
    });
  });

  it("refuses a missing or uncompilable schema and unknown types, naming the field", () => {
    expect(parseResponseFormat({ type: "json_schema", json_schema: { name: "p" } })).toMatchObject({
      ok: false,
      error: { param: "response_format.json_schema.schema" },
    });
    expect(
      parseResponseFormat({ type: "json_schema", json_schema: { schema: { type: "nonsense" } } }),
    ).toMatchObject({ ok: false, error: { param: "response_format.json_schema.schema" } });
    expect(parseResponseFormat({ type: "xml" })).toMatchObject({
      ok: false,
      error: { param: "response_format.type" },
    });
    expect(parseResponseFormat("json")).toMatchObject({ ok: false });
  });

  it("compiles a schema with an $id more than once (cached by text, $id ignored)", () => {
    const withId = { $id: "https://example.com/p", type: "object" };
    expect(parseResponseFormat({ type: "json_schema", json_schema: { schema: withId } }).ok).toBe(true);
    expect(
      parseResponseFormat({ type: "json_schema", json_schema: { schema: { ...withId, title: "x" } } }).ok,
    ).toBe(true);
  });

  it("reads draft-07 schemas with draft-07 rules", () => {
    const draft7 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "array",
      items: [{ type: "string" }],
    };
    const format = formatOf({ type: "json_schema", json_schema: { schema: draft7 } });
    expect(checkOutput(format, '["a", 1]')).toEqual({ ok: true });
    expect(checkOutput(format, "[1]").ok).toBe(false);
  });
});

describe("checkOutput", () => {
  it("accepts anything for text and any JSON object for json_object", () => {
    expect(checkOutput({ kind: "text" }, "not json")).toEqual({ ok: true });
    expect(checkOutput({ kind: "json_object" }, '{"a":1}')).toEqual({ ok: true });
    expect(checkOutput({ kind: "json_object" }, "[1]")).toMatchObject({ ok: false });
    expect(checkOutput({ kind: "json_object" }, '{"a":')).toMatchObject({ ok: false, reason: /not JSON/ });
  });

  it("validates json_schema output beyond what a grammar enforces", () => {
    const format = formatOf({ type: "json_schema", json_schema: { schema } });
    expect(checkOutput(format, '{"age":3,"code":"123"}')).toEqual({ ok: true });
    expect(checkOutput(format, '{"age":3,"code":""}')).toMatchObject({
      ok: false,
      reason: /\/code must match pattern/,
    });
    // A grammar lets `1e999` through; JSON.parse makes it Infinity, which Ajv would take for an integer.
    expect(checkOutput(format, '{"age":1e999}')).toMatchObject({
      ok: false,
      reason: /out of range at \/age/,
    });
    expect(checkOutput({ kind: "json_object" }, '{"a":[1,-1e400]}')).toMatchObject({
      ok: false,
      reason: /\/a\/1/,
    });
    expect(checkOutput(format, '{"age":-1}')).toMatchObject({ ok: false });
  });
});
