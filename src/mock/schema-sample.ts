/**
 * Deterministic values that satisfy a JSON Schema: the arguments the mock puts in a tool call, so an
 * agent that validates (and really runs) the call gets something it accepts. Pure; the same schema,
 * text and seed always give the same value.
 *
 * What is honoured: `type` (also as a list: the first non-null type), `const`, `enum` (its first value),
 * `default` and `examples`, objects (`properties`, `required`, `additionalProperties`, `minProperties`),
 * arrays (`items`, `prefixItems` and draft-7 tuple `items`, `minItems`, `maxItems`), strings (`format`,
 * `minLength`, `maxLength`), numbers and integers (`minimum`, `maximum`, their exclusive forms,
 * `multipleOf`), booleans, `null`, `allOf` (merged), `anyOf`/`oneOf` (the first branch that is not
 * `null`), and `$ref` to a JSON pointer inside the same schema (`#/$defs/…`, `#/definitions/…`).
 * `pattern` is not: no general way to write a string for it.
 *
 * Meaningful where it can be: the first free string (no `enum`, `const` or `format`) takes the given
 * text (the user's words); an object with a `required` list gets just those properties (an agent's
 * optional knobs keep their defaults), one without gets all its properties. Other strings are named
 * after their property. Numbers are drawn from the seed within their bounds, small and positive when
 * unbounded; booleans are `false`.
 *
 * Hostile schemas (cycles through `$ref`, huge `minItems`, non-objects) cannot make it loop or grow:
 * depth, item counts and string lengths are capped, and what cannot be satisfied comes back as `null`.
 * @module
 */
import { seededRandom } from "../random/seeded-random.js";

export interface SampleOptions {
  /** What the first free string takes: the user's text. */
  readonly text: string;
  /** Seeds the choices a schema leaves open (numbers within bounds, uuids). */
  readonly seed: number;
}

type Schema = Readonly<Record<string, unknown>>;

const MAX_DEPTH = 16;
/** Most items, extra properties or string characters a hostile `min*` can ask for. */
const MAX_COUNT = 64;
const MAX_LENGTH = 4096;
const MAX_VALUES = 10_000;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function count(value: unknown, fallback: number): number {
  const number = finite(value);
  return number === undefined ? fallback : Math.max(0, Math.min(MAX_COUNT, Math.floor(number)));
}

/** A schema's type: the first non-null one it names, or one inferred from its keywords. */
function typeOf(schema: Schema): string {
  const declared = schema.type;
  if (typeof declared === "string") return declared;
  if (Array.isArray(declared)) {
    const types = declared.filter((type): type is string => typeof type === "string");
    return types.find((type) => type !== "null") ?? types[0] ?? "string";
  }
  if ("properties" in schema || "required" in schema || "additionalProperties" in schema) return "object";
  if ("items" in schema || "prefixItems" in schema || "minItems" in schema) return "array";
  if ("minimum" in schema || "maximum" in schema || "multipleOf" in schema) return "number";
  return "string";
}

/** `allOf` branches folded into one schema: properties and `required` combined, other keywords overridden. */
function mergeAll(schema: Schema, branches: readonly unknown[]): Schema {
  const { allOf: _, ...rest } = schema;
  let merged: Record<string, unknown> = {};
  for (const branch of [...branches, rest]) {
    if (!isSchema(branch)) continue;
    const properties = { ...(merged.properties as Schema), ...(branch.properties as Schema) };
    const required = [
      ...(Array.isArray(merged.required) ? merged.required : []),
      ...(Array.isArray(branch.required) ? branch.required : []),
    ];
    merged = { ...merged, ...branch, properties, required };
    if (required.length === 0) delete merged.required;
    if (Object.keys(properties).length === 0) delete merged.properties;
  }
  return merged;
}

/** The branch of `anyOf`/`oneOf` to follow: the first that is not just `null`, with the siblings kept. */
function pickBranch(schema: Schema, key: "anyOf" | "oneOf"): Schema {
  const branches = (schema[key] as unknown[]).filter(isSchema);
  const { [key]: _, ...rest } = schema;
  const branch = branches.find((candidate) => candidate.type !== "null") ?? branches[0] ?? {};
  return { ...rest, ...branch };
}

/** The whole numbers a number schema allows, as inclusive bounds (either may be open). */
function integerBounds(schema: Schema): { low?: number; high?: number } {
  const lows: number[] = [];
  const highs: number[] = [];
  const minimum = finite(schema.minimum);
  const maximum = finite(schema.maximum);
  // Draft 4 spells exclusive bounds as booleans beside minimum/maximum; later drafts as numbers.
  const exclusiveMin =
    finite(schema.exclusiveMinimum) ?? (schema.exclusiveMinimum === true ? minimum : undefined);
  const exclusiveMax =
    finite(schema.exclusiveMaximum) ?? (schema.exclusiveMaximum === true ? maximum : undefined);
  if (minimum !== undefined) lows.push(Math.ceil(minimum));
  if (exclusiveMin !== undefined) lows.push(Math.floor(exclusiveMin) + 1);
  if (maximum !== undefined) highs.push(Math.floor(maximum));
  if (exclusiveMax !== undefined) highs.push(Math.ceil(exclusiveMax) - 1);
  return {
    ...(lows.length > 0 ? { low: Math.max(...lows) } : {}),
    ...(highs.length > 0 ? { high: Math.min(...highs) } : {}),
  };
}

const FORMATS: Readonly<Record<string, string>> = {
  "date-time": "2026-01-01T12:00:00Z",
  date: "2026-01-01",
  time: "12:00:00Z",
  duration: "PT1H",
  email: "user@example.com",
  "idn-email": "user@example.com",
  hostname: "example.com",
  "idn-hostname": "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  uri: "https://example.com/",
  iri: "https://example.com/",
  url: "https://example.com/",
  "uri-reference": "/example",
  "iri-reference": "/example",
  "uri-template": "https://example.com/{id}",
  "json-pointer": "/example",
  "relative-json-pointer": "0",
  regex: ".*",
  byte: "aGVsbG8=",
};

const KNOWN_FORMATS: ReadonlySet<string> = new Set([...Object.keys(FORMATS), "uuid"]);

class Sampler {
  readonly #root: unknown;
  readonly #random: () => number;
  #text: string | undefined;
  /** Values left to generate: `$ref` fan-out could otherwise grow exponentially with depth. */
  #budget = MAX_VALUES;

  constructor(root: unknown, options: SampleOptions) {
    this.#root = root;
    this.#random = seededRandom(options.seed);
    this.#text = options.text;
  }

  /** A value for `schema`; `name` is the property it fills, `variant` its index among array items. */
  value(schema: unknown, name: string, depth: number, variant = 0): unknown {
    if (depth > MAX_DEPTH || schema === false || --this.#budget < 0) return null;
    if (!isSchema(schema)) return this.#string({}, name, variant);
    if (typeof schema.$ref === "string") {
      const { $ref, ...rest } = schema;
      const target = this.#resolve($ref);
      const merged = isSchema(target) ? { ...target, ...rest } : target === false ? false : rest;
      return this.value(merged, name, depth + 1, variant);
    }
    if ("const" in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0)
      return schema.enum[variant % schema.enum.length];
    if (Array.isArray(schema.allOf))
      return this.value(mergeAll(schema, schema.allOf), name, depth + 1, variant);
    if (Array.isArray(schema.anyOf)) return this.value(pickBranch(schema, "anyOf"), name, depth + 1, variant);
    if (Array.isArray(schema.oneOf)) return this.value(pickBranch(schema, "oneOf"), name, depth + 1, variant);
    const type = typeOf(schema);
    if (type === "string" && this.#takesText(schema)) return this.#string(schema, name, variant);
    if ("default" in schema && schema.default !== undefined) return schema.default;
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
    switch (type) {
      case "object":
        return this.#object(schema, depth);
      case "array":
        return this.#array(schema, name, depth);
      case "integer":
      case "number":
        return this.#number(schema, type === "integer", variant);
      case "boolean":
        return variant % 2 === 1;
      case "null":
        return null;
      default:
        return this.#string(schema, name, variant);
    }
  }

  #resolve(ref: string): unknown {
    if (!ref.startsWith("#")) return {};
    let target: unknown = this.#root;
    for (const raw of ref.slice(1).split("/").slice(1)) {
      const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
      if (typeof target !== "object" || target === null || !Object.hasOwn(target, key)) return {};
      target = (target as Record<string, unknown>)[key];
    }
    return target;
  }

  /** True for the first free string (no format it must follow): it takes the user's text, over a default. */
  #takesText(schema: Schema): boolean {
    const format = schema.format;
    return this.#text !== undefined && (typeof format !== "string" || !KNOWN_FORMATS.has(format));
  }

  #object(schema: Schema, depth: number): Record<string, unknown> {
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required)
      ? schema.required.filter((key): key is string => typeof key === "string")
      : [];
    const extra = schema.additionalProperties;
    const declared = Object.keys(properties);
    const chosen = required.length > 0 ? new Set(required) : new Set(declared);
    // Declared order first (the order a tool's author wrote), then required names nobody declared.
    const keys = [
      ...declared.filter((key) => chosen.has(key)),
      ...required.filter((key) => !Object.hasOwn(properties, key)),
    ];
    const wanted = count(schema.minProperties, 0);
    for (const key of declared) if (keys.length < wanted && !keys.includes(key)) keys.push(key);
    for (let i = 1; keys.length < wanted && extra !== false && i <= MAX_COUNT; i++) {
      if (!keys.includes(`key${i}`)) keys.push(`key${i}`);
    }
    const result: Record<string, unknown> = {};
    for (const key of new Set(keys)) {
      const propertySchema = Object.hasOwn(properties, key) ? properties[key] : isSchema(extra) ? extra : {};
      // Defined, not assigned: a property named `__proto__` is a property like any other.
      Object.defineProperty(result, key, {
        value: this.value(propertySchema, key, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }

  #array(schema: Schema, name: string, depth: number): unknown[] {
    const tuple = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : [];
    const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
    let length = Math.max(count(schema.minItems, 1), Math.min(tuple.length, MAX_COUNT));
    length = Math.min(length, count(schema.maxItems, MAX_COUNT));
    if (rest === false) length = Math.min(length, tuple.length);
    const items: unknown[] = [];
    for (let i = 0; i < length; i++) {
      items.push(this.value(i < tuple.length ? tuple[i] : (rest ?? {}), name, depth + 1, i));
    }
    return items;
  }

  #number(schema: Schema, integer: boolean, variant: number): number {
    const { low, high } = integerBounds(schema);
    const from = low ?? (high === undefined || high >= 1 ? 1 : high - 9);
    const to = Math.min(high ?? from + 9, from + 9);
    const multiple = finite(schema.multipleOf);
    if (multiple !== undefined && multiple > 0) return Math.ceil(from / multiple) * multiple;
    if (from > to) {
      // No whole number fits (integers: none can; numbers: bounds closer than 1 apart): the middle.
      if (integer) return from;
      const min = finite(schema.minimum) ?? finite(schema.exclusiveMinimum) ?? 0;
      const max = finite(schema.maximum) ?? finite(schema.exclusiveMaximum) ?? min;
      return (min + max) / 2;
    }
    const span = to - from + 1;
    return from + ((Math.floor(this.#random() * span) + variant) % span);
  }

  #string(schema: Schema, name: string, variant: number): string {
    const format = typeof schema.format === "string" ? schema.format : undefined;
    let text: string;
    if (format === "uuid") text = this.#uuid();
    else if (format !== undefined && Object.hasOwn(FORMATS, format)) text = FORMATS[format]!;
    else if (this.#text !== undefined) {
      text = this.#text;
      this.#text = undefined;
    } else text = variant === 0 ? name || "value" : `${name || "value"}-${variant + 1}`;
    // Lengths count code points, as JSON Schema does.
    const chars = Array.from(text);
    const min = Math.min(finite(schema.minLength) ?? 0, MAX_LENGTH);
    while (chars.length < min) chars.push("x");
    const max = finite(schema.maxLength);
    return (max !== undefined && chars.length > max ? chars.slice(0, Math.max(0, max)) : chars).join("");
  }

  #uuid(): string {
    let hex = "";
    for (let i = 0; i < 32; i++) hex += Math.floor(this.#random() * 16).toString(16);
    const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}

/** A value that satisfies `schema` (see the module comment for what is honoured). */
export function sampleSchema(schema: unknown, options: SampleOptions): unknown {
  return new Sampler(schema, options).value(schema, "", 0);
}

/**
 * Tool-call arguments for a tool's parameter schema: always a JSON object, as both APIs require
 * (`{}` when the schema describes something else or nothing).
 */
export function sampleArguments(schema: unknown, options: SampleOptions): Record<string, unknown> {
  const root = isSchema(schema) && schema.type === undefined ? { type: "object", ...schema } : schema;
  const value = new Sampler(schema, options).value(root, "", 0);
  return isSchema(value) ? (value as Record<string, unknown>) : {};
}
