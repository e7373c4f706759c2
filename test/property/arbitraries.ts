/**
 * Generators of hostile JSON for the property suites.
 *
 * Values are built as JSON *text* and parsed, as a server would receive them: `__proto__` then is an
 * own key (not a prototype change), duplicate keys are possible (the last one wins), and numbers can
 * be spelled in ways `JSON.stringify` never writes (`1e400` → Infinity, `-0`, 30-digit integers).
 */
import fc from "fast-check";

/** One JSON text; `fc.Arbitrary<string>` of these parse with `JSON.parse`. */
export type JsonText = string;

/** Keys that reach prototype machinery when code indexes plain objects with client input. */
export const PROTOTYPE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "toJSON",
  "then",
  "__defineGetter__",
] as const;

/** Number spellings that stress validation: negative, fractional, huge, overflowing, -0. */
const NUMBER_TEXTS = [
  "0",
  "-0",
  "1",
  "-1",
  "0.5",
  "-0.5",
  "1.0",
  "1e308",
  "-1e308",
  "1e400",
  "-1e400",
  "1e-400",
  "9007199254740993",
  "123456789012345678901234567890",
  "2147483648",
  "4294967296",
  "65537",
  "1E+2",
] as const;

export const numberText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);

/** Strings that mean something to some parser on the way: tags, SSE markers, escapes. */
const SPECIAL_STRINGS = [
  "",
  " ",
  "\u0000",
  "\n",
  "\r\n\r\n",
  "data: x\n\n",
  "[DONE]",
  "<think>",
  "</think>",
  "<|channel|>analysis<|message|>",
  "<|end|>",
  "true",
  "null",
  "{",
  '{"a":',
  "\\",
  "\ud800",
  "\udfff",
  "🦄",
  "e\u0301",
  "\u202e",
  "auto",
  "default",
  "mock-model",
  "claude-mock",
  "user",
  "assistant",
  "system",
  "tool",
  "text",
  "tool_use",
  "enabled",
  "http://127.0.0.1:1",
  "https://",
  "//",
  "../../etc/passwd",
  "%00",
  "Bearer x",
] as const;

export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_STRINGS, ...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  // Lone surrogates and control characters.
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 2_000, maxLength: 6_000, unit: "grapheme-ascii" }) },
);

export const stringText: fc.Arbitrary<JsonText> = anyString.map((s) => JSON.stringify(s));

export const keyArb = (known: readonly string[] = []): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
    ...(known.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...known) }] : []),
  );

/** JSON text of an object with these entries, in order; duplicate keys are kept as written. */
export function objectText(entries: readonly (readonly [string, JsonText])[]): JsonText {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`;
}

export function arrayText(items: readonly JsonText[]): JsonText {
  return `[${items.join(",")}]`;
}

/**
 * Any JSON text: scalars of every awkward kind, arrays and objects nested a few levels, object keys
 * drawn from `known` field names, prototype keys and random strings.
 */
export function jsonText(known: readonly string[] = [], maxDepth = 3): fc.Arbitrary<JsonText> {
  const { tree } = fc.letrec<{ tree: JsonText; node: JsonText }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", maxDepth, withCrossShrink: true },
      fc.constantFrom("null", "true", "false"),
      numberText,
      stringText,
      tie("node"),
    ),
    node: fc.oneof(
      fc.array(tie("tree"), { maxLength: 5 }).map(arrayText),
      fc.array(fc.tuple(keyArb(known), tie("tree")), { maxLength: 6 }).map(objectText),
    ),
  }));
  return tree;
}

/** A JSON value parsed from {@link jsonText}. */
export function hostileJson(known: readonly string[] = [], maxDepth = 3): fc.Arbitrary<unknown> {
  return jsonText(known, maxDepth).map((text) => JSON.parse(text) as unknown);
}

/** A field's value: usually a sensible one, sometimes anything at all. */
export function fieldValue(
  valid: fc.Arbitrary<JsonText>,
  known: readonly string[] = [],
): fc.Arbitrary<JsonText> {
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: jsonText(known, 2) });
}

/** `{field: valueArbitrary}` → JSON text of an object with any subset of them, extra keys and duplicates. */
export function objectWith(
  fields: Readonly<Record<string, fc.Arbitrary<JsonText>>>,
  known: readonly string[] = Object.keys(fields),
): fc.Arbitrary<JsonText> {
  const entries = Object.entries(fields).map(([key, value]) =>
    fc.option(
      value.map((text) => [key, text] as const),
      { nil: undefined, freq: 3 },
    ),
  );
  return fc
    .tuple(
      fc.tuple(...entries),
      fc.array(fc.tuple(keyArb(known), jsonText(known, 2)), { maxLength: 3 }),
      fc.nat(),
    )
    .map(([chosen, extra, at]) => {
      const list: (readonly [string, JsonText])[] = chosen.filter(
        (entry): entry is readonly [string, JsonText] => entry !== undefined,
      );
      // Extra keys (prototype keys, unknown fields, duplicates of known ones) anywhere in the object.
      for (const entry of extra) list.splice(list.length === 0 ? 0 : at % (list.length + 1), 0, entry);
      return objectText(list);
    });
}

export const json = (value: unknown): JsonText => JSON.stringify(value);

/**
 * JSON text of an array of `item`: a few of them, or (now and then) the same one repeated hundreds
 * to thousands of times, capped near 600 KB so a body can cross the gateway's limit without
 * exhausting memory.
 */
export function arrayOf(item: fc.Arbitrary<JsonText>, maxLength = 6): fc.Arbitrary<JsonText> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(item, { maxLength }).map(arrayText) },
    {
      weight: 1,
      arbitrary: fc.tuple(item, fc.integer({ min: 200, max: 6_000 })).map(([one, count]) => {
        const capped = Math.max(1, Math.min(count, Math.floor(600_000 / (one.length + 1))));
        return arrayText(Array.from({ length: capped }, () => one));
      }),
    },
  );
}

/** Integers and near-integers that token limits and counts must survive. */
export const countText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.integer({ min: 1, max: 64 }).map(String),
  fc.constantFrom("0", "-1", "0.5", "1e308", "1e400", "9007199254740993", '"16"', "null", "true", "[]"),
);

/** A number in [0, 2] mostly, or out of range. */
export const ratioText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.double({ min: 0, max: 2, noNaN: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom("-1", "1e400", '"0.5"', "null"),
);

export const boolText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constantFrom("true", "false"),
  fc.constantFrom('"true"', "1", "0", "null", "[]", "{}"),
);

/** Deep-copies a parsed JSON value. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

type JsonPath = readonly (string | number)[];

/** Every path into a JSON value (the root excluded), to pick one to mutate. */
export function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const paths: JsonPath[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      paths.push([...prefix, index], ...pathsOf(item, [...prefix, index]));
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      paths.push([...prefix, key], ...pathsOf(item, [...prefix, key]));
    }
  }
  return paths;
}

export type Mutation =
  | { kind: "drop" }
  | { kind: "replace"; value: unknown }
  | { kind: "retype" }
  | { kind: "wrap" }
  | { kind: "empty" };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: "drop" }),
  hostileJson([], 2).map((value): Mutation => ({ kind: "replace", value })),
  fc.constant<Mutation>({ kind: "retype" }),
  fc.constant<Mutation>({ kind: "wrap" }),
  fc.constant<Mutation>({ kind: "empty" }),
);

/** The same value in another JSON type: string ↔ number, boolean → string, array → object… */
function retype(value: unknown): unknown {
  if (typeof value === "string") return Number.isNaN(Number(value)) ? value.length : Number(value);
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  return Object.values(value as object);
}

function emptyLike(value: unknown): unknown {
  if (typeof value === "string") return "";
  if (typeof value === "number") return 0;
  if (Array.isArray(value)) return [];
  if (typeof value === "object" && value !== null) return {};
  return null;
}

/** A copy of `value` with one mutation applied at `path`. */
export function mutate(value: unknown, path: JsonPath, mutation: Mutation): unknown {
  const copy = cloneJson(value);
  if (path.length === 0) {
    // The whole body: dropped (an empty object), replaced, retyped…
    if (mutation.kind === "drop") return {};
    if (mutation.kind === "replace") return mutation.value;
    if (mutation.kind === "retype") return retype(copy);
    if (mutation.kind === "wrap") return [copy];
    return emptyLike(copy);
  }
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const current = parent[last];
  if (mutation.kind === "drop") {
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else delete parent[last];
  } else if (mutation.kind === "replace") parent[last] = mutation.value;
  else if (mutation.kind === "retype") parent[last] = retype(current);
  else if (mutation.kind === "wrap") parent[last] = [current];
  else parent[last] = emptyLike(current);
  return copy;
}

/** A valid request and one mutation somewhere in it (or at the top: a whole field). */
export function mutatedFrom(templates: fc.Arbitrary<unknown>): fc.Arbitrary<{ body: unknown; note: string }> {
  return templates.chain((template) => {
    const paths: JsonPath[] = [[], ...pathsOf(template)];
    return fc.tuple(fc.constantFrom(...paths), mutationArb).map(([path, mutation]) => ({
      body: mutate(template, path, mutation),
      note: `${mutation.kind} at ${path.join(".")}`,
    }));
  });
}

/** Bytes that are not JSON, or not UTF-8, or JSON cut short. */
export function badBytes(validTexts: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  const invalidUtf8 = fc.constantFrom(
    [0xff],
    [0xfe, 0xff],
    [0xc0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xe2, 0x82],
    [0xef, 0xbb, 0xbf],
    [0x00],
  );
  return fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    // A valid request cut anywhere.
    fc.tuple(validTexts, fc.nat()).map(([text, at]) => Buffer.from(text.slice(0, at % (text.length + 1)))),
    // A valid request with bad bytes spliced in (inside a string, between tokens, at the start).
    fc.tuple(validTexts, invalidUtf8, fc.nat()).map(([text, bad, at]) => {
      const bytes = Buffer.from(text);
      const cut = at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from(bad), bytes.subarray(cut)]);
    }),
    // A valid request in another encoding.
    validTexts.map((text) => Buffer.from(text, "utf16le")),
    validTexts.map((text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])),
    fc.constantFrom(
      Buffer.from(""),
      Buffer.from(" "),
      Buffer.from("\n"),
      Buffer.from("null"),
      Buffer.from("[]"),
      Buffer.from('"x"'),
      Buffer.from("undefined"),
      Buffer.from("{}{}"),
      Buffer.from("NaN"),
      Buffer.from("a=b&c=d"),
      Buffer.from("--boundary\r\nContent-Disposition: form-data\r\n\r\n"),
    ),
  );
}

/** Content types a client may send: right, wrong, malformed, or none. */
export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "application/json; charset=latin1",
    "APPLICATION/JSON",
    "text/plain",
    "text/event-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/vnd.api+json",
    "",
    ";",
    "/",
    "application/",
    "json",
    "*/*",
    "application/json; charset=",
    'application/json; charset="utf-8"; q=0.5',
    "application/json;;;;",
  ),
  fc.string({ maxLength: 30, unit: "grapheme-ascii" }),
);

/** A header value Node's HTTP parser would deliver: visible ASCII, tabs and spaces, latin1. */
export const headerValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40, unit: "grapheme-ascii" }),
  fc.constantFrom("", "1", "0", "true", "false", "yes", "TRUE", " 1 ", "\t", "Bearer ", "Bearer x", "null"),
  fc
    .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })), {
      maxLength: 40,
    })
    .map((codes) => String.fromCharCode(...codes)),
  fc.string({ minLength: 1_000, maxLength: 4_000, unit: "grapheme-ascii" }),
);
