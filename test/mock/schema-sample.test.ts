import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleArguments, sampleSchema } from "../../src/mock/schema-sample.js";

const options = { text: "list the files", seed: 7 };
// Formats are checked by hand below: the validator's format plugin is not a dependency.
const ajv2020 = new Ajv2020({ strict: false, validateFormats: false });
const ajv07 = new Ajv({ strict: false, validateFormats: false });

function expectValid(schema: object, value: unknown): void {
  const draft07 = (schema as { $schema?: string }).$schema?.includes("draft-07") ?? false;
  const validate = (draft07 ? ajv07 : ajv2020).compile(schema);
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
}

/** Tool schemas as agents send them (shapes from Claude Code, Codex and pydantic-generated tools). */
const AGENT_SCHEMAS: Record<string, object> = {
  bash: {
    type: "object",
    properties: {
      command: { type: "string", description: "The command to execute" },
      timeout: { type: "number", description: "Optional timeout in milliseconds (max 600000)" },
      description: { type: "string" },
      run_in_background: { type: "boolean" },
    },
    required: ["command"],
    additionalProperties: false,
    $schema: "http://json-schema.org/draft-07/schema#",
  },
  edit: {
    type: "object",
    properties: {
      file_path: { type: "string" },
      old_string: { type: "string" },
      new_string: { type: "string" },
      replace_all: { type: "boolean", default: false },
    },
    required: ["file_path", "old_string", "new_string"],
    additionalProperties: false,
  },
  todos: {
    type: "object",
    properties: {
      todos: {
        type: "array",
        items: {
          type: "object",
          properties: {
            content: { type: "string", minLength: 1 },
            status: { type: "string", enum: ["pending", "in_progress", "completed"] },
            activeForm: { type: "string", minLength: 1 },
          },
          required: ["content", "status", "activeForm"],
          additionalProperties: false,
        },
      },
    },
    required: ["todos"],
  },
  shell: {
    type: "object",
    properties: {
      command: { type: "array", items: { type: "string" }, minItems: 1 },
      workdir: { type: "string" },
      timeout_ms: { type: "integer", minimum: 1000, maximum: 600000 },
    },
    required: ["command"],
  },
  pydantic: {
    $defs: {
      Unit: { enum: ["celsius", "fahrenheit"], type: "string" },
      Location: {
        type: "object",
        properties: { city: { type: "string" }, country: { anyOf: [{ type: "null" }, { type: "string" }] } },
        required: ["city", "country"],
      },
    },
    type: "object",
    properties: {
      location: { $ref: "#/$defs/Location" },
      unit: { $ref: "#/$defs/Unit", default: "celsius" },
      days: { type: "integer", exclusiveMinimum: 0, maximum: 14 },
      when: { type: "string", format: "date-time" },
      id: { type: "string", format: "uuid" },
    },
    required: ["location", "unit", "days", "when", "id"],
  },
  mixed: {
    type: "object",
    properties: {
      ratio: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
      step: { type: "integer", multipleOf: 5, minimum: 12 },
      code: { type: "string", minLength: 3, maxLength: 3 },
      tags: { type: "array", items: { type: "string" }, minItems: 3, uniqueItems: true },
      pair: { type: "array", prefixItems: [{ type: "integer" }, { type: "boolean" }], items: false },
      kind: { const: "fixed" },
      nested: { allOf: [{ properties: { a: { type: "integer" } }, required: ["a"] }, { required: ["b"] }] },
      labels: { type: "object", additionalProperties: { type: "integer" }, minProperties: 2 },
      choice: { oneOf: [{ type: "integer", minimum: 3 }, { type: "string" }] },
      nothing: { type: "null" },
      either: { type: ["null", "integer"], maximum: -5 },
    },
  },
};

describe("sampleArguments: agent tool schemas", () => {
  it.each(Object.entries(AGENT_SCHEMAS))("satisfies the %s schema", (_name, schema) => {
    expectValid(schema, sampleArguments(schema, options));
  });

  it("gives the user's text to the first free string and only the required properties", () => {
    expect(sampleArguments(AGENT_SCHEMAS.bash, options)).toEqual({ command: "list the files" });
    expect(sampleArguments(AGENT_SCHEMAS.edit, options)).toEqual({
      file_path: "list the files",
      old_string: "old_string",
      new_string: "new_string",
    });
    expect(sampleArguments(AGENT_SCHEMAS.shell, options)).toEqual({ command: ["list the files"] });
  });

  it("keeps the old shape for a schema with one text property", () => {
    const schema = { type: "object", properties: { text: { type: "string" } } };
    expect(sampleArguments(schema, { text: "hello", seed: 1 })).toEqual({ text: "hello" });
  });

  it("follows $ref, defaults, enums and formats", () => {
    const value = sampleArguments(AGENT_SCHEMAS.pydantic, options) as Record<string, unknown>;
    expect(value.location).toEqual({ city: "list the files", country: "country" });
    expect(value.unit).toBe("celsius");
    expect(value.days).toBeGreaterThanOrEqual(1);
    expect(value.when).toBe("2026-01-01T12:00:00Z");
    expect(value.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("satisfies a draft-07 schema with definitions and tuple items", () => {
    const schema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      definitions: { point: { type: "array", items: [{ type: "number" }, { type: "number" }] } },
      type: "object",
      properties: { from: { $ref: "#/definitions/point" }, to: { $ref: "#/definitions/point" } },
      required: ["from", "to"],
    };
    const value = sampleArguments(schema, options) as { from: unknown[] };
    expectValid(schema, value);
    expect(value.from).toHaveLength(2);
  });

  it("is the same for the same input and follows the seed", () => {
    const schema = { type: "object", properties: { n: { type: "integer", minimum: 0, maximum: 1000 } } };
    expect(sampleArguments(schema, options)).toEqual(sampleArguments(schema, options));
    const values = new Set(
      [1, 2, 3, 4, 5, 6].map((seed) => JSON.stringify(sampleArguments(schema, { ...options, seed }))),
    );
    expect(values.size).toBeGreaterThan(1);
  });
});

describe("sampleArguments: hostile schemas", () => {
  it.each([undefined, null, 5, "object", [], true, { type: "string" }, { type: "array" }])(
    "is an empty object for a schema that is not an object's: %j",
    (schema) => {
      expect(sampleArguments(schema, options)).toEqual({});
    },
  );

  it("ends on a $ref cycle that every level requires", () => {
    const schema = {
      $defs: {
        node: {
          type: "object",
          properties: { a: { $ref: "#/$defs/node" }, b: { $ref: "#/$defs/node" } },
          required: ["a", "b"],
        },
      },
      $ref: "#/$defs/node",
    };
    expect(JSON.stringify(sampleArguments(schema, options)).length).toBeLessThan(1_000_000);
  });

  it("caps huge counts and lengths", () => {
    const schema = {
      type: "object",
      properties: {
        many: { type: "array", items: { type: "string" }, minItems: 1e9 },
        long: { type: "string", minLength: 1e9 },
        keys: { type: "object", minProperties: 1e9 },
      },
    };
    const value = sampleArguments(schema, options) as { many: unknown[]; long: string; keys: object };
    expect(value.many.length).toBeLessThanOrEqual(64);
    expect(value.long.length).toBeLessThanOrEqual(4096);
    expect(Object.keys(value.keys).length).toBeLessThanOrEqual(64);
  });

  it("treats __proto__ and constructor as plain names", () => {
    const schema = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"integer","minimum":5,"maximum":5}},' +
        '"required":["__proto__","constructor"],"additionalProperties":{"type":"boolean"}}',
    );
    const value = sampleArguments(schema, options);
    expect(JSON.parse(JSON.stringify(value))).toEqual(JSON.parse('{"__proto__":5,"constructor":false}'));
    expect(
      sampleArguments(
        { type: "object", properties: { a: { type: "string", format: "constructor" } } },
        options,
      ),
    ).toEqual({
      a: "list the files",
    });
  });

  it("resolves only local refs, and unknown ones to anything", () => {
    const schema = {
      type: "object",
      properties: { a: { $ref: "https://example.com/x" }, b: { $ref: "#/nope" } },
    };
    expect(sampleArguments(schema, options)).toEqual({ a: "list the files", b: "b" });
  });
});

/** Satisfiable schemas built from the keywords the sampler honours. */
const schemas: fc.Arbitrary<object> = fc.letrec<{ schema: object }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .record({
        min: fc.nat(5),
        extra: fc.nat(5),
        format: fc.constantFrom(undefined, "date", "email", "uuid"),
      })
      .map(({ min, extra, format }) =>
        format ? { type: "string", format } : { type: "string", minLength: min, maxLength: min + extra + 5 },
      ),
    fc
      .record({
        low: fc.integer({ min: -50, max: 50 }),
        span: fc.nat(20),
        integer: fc.boolean(),
        exclusive: fc.boolean(),
      })
      .map(({ low, span, integer, exclusive }) =>
        exclusive
          ? { type: integer ? "integer" : "number", exclusiveMinimum: low, exclusiveMaximum: low + span + 2 }
          : { type: integer ? "integer" : "number", minimum: low, maximum: low + span },
      ),
    fc.constant({ type: "boolean" }),
    fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 3 }).map((values) => ({ enum: values })),
    fc.jsonValue().map((value) => ({ const: value })),
    fc
      .record({ items: tie("schema"), min: fc.nat(3), extra: fc.nat(3) })
      .map(({ items, min, extra }) => ({ type: "array", items, minItems: min, maxItems: min + extra })),
    fc
      .dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie("schema"), { maxKeys: 4 })
      .chain((properties) =>
        fc
          .subarray(Object.keys(properties))
          .map((required) => ({ type: "object", properties, required, additionalProperties: false })),
      ),
    tie("schema").map((branch) => ({ anyOf: [{ type: "null" }, branch] })),
  ),
})).schema;

describe("sampleSchema: property", () => {
  it("every generated schema is satisfied by its sample", () => {
    fc.assert(
      fc.property(schemas, fc.string(), fc.integer(), (schema, text, seed) => {
        const validate = ajv2020.compile(schema);
        const value = sampleSchema(schema, { text, seed });
        expect(validate(value), JSON.stringify({ value, errors: validate.errors })).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
