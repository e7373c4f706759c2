/**
 * Finds a top-level field the gateway routes by (`model`, `stream`, …) written twice in a request
 * body. JSON.parse keeps the last one, and so does the gateway's routing and key check, but the
 * body is forwarded as sent and a backend that keeps the first would serve something else: a key
 * limited to one model could reach another. Such a body is refused (400 naming the field).
 *
 * Cheap for the bodies clients send: a short text is searched for each name twice (or a `\u`
 * escape, the only way to spell one differently) before any scan; a long one is scanned at once,
 * reading the top level's keys and jumping over every string with indexOf, so a long prompt costs
 * about one step per token. (Searching a 100 kB prompt for each name cost 2× its JSON.parse: a
 * needle starting with `"` defeats V8's fast search, and each name present is a pass over it all.)
 * @module
 */

/** The top-level fields whose value decides where and how a request goes, or what it may use. */
export const ROUTING_FIELDS: readonly string[] = [
  "model",
  "stream",
  "user",
  "max_tokens",
  "max_completion_tokens",
  "max_output_tokens",
  "metadata",
  "previous_response_id",
  "prompt_cache_key",
  "store",
];

const ROUTING = new Set(ROUTING_FIELDS);
const QUOTED = new Map(ROUTING_FIELDS.map((field) => [field, `"${field}"`] as const));

/** Up to this length a text is searched for each name first: cheaper than the scan when short. */
const SEARCHED_LENGTH = 2048;

/**
 * False when no routing field can be there twice: none is present, or (short text) none is written
 * twice. The present ones are found by walking the parsed object's own keys, not by asking for each
 * routing field by name: one `in` site that sees ten names is megamorphic (~1.7k instructions per
 * request, measured).
 */
function mayRepeat(text: string, parsed: object): boolean {
  const searched = text.length <= SEARCHED_LENGTH;
  if (searched && text.includes("\\u")) return true;
  for (const field in parsed) {
    const quoted = QUOTED.get(field);
    if (quoted === undefined) continue;
    if (!searched) return true;
    const first = text.indexOf(quoted);
    if (first !== -1 && text.indexOf(quoted, first + quoted.length) !== -1) return true;
  }
  return false;
}

/**
 * The first routing field the object in `text` (valid JSON, parsed as `parsed`) has twice at its
 * top level, if any. A field the parsed object lacks was never written at its top level, so only
 * the few routing fields a request has are looked for.
 */
export function duplicateRoutingField(text: string, parsed: object): string | undefined {
  if (!mayRepeat(text, parsed)) return undefined;
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (!ROUTING.has(key)) continue;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * The keys of the top-level object of valid JSON text, decoded, in order. Nested values are
 * skipped by depth; strings are skipped whole, so braces inside them do not count.
 */
function* topLevelKeys(text: string): Generator<string> {
  let depth = 0;
  let expectKey = false;
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char === QUOTE) {
      const end = stringEnd(text, at);
      if (depth === 1 && expectKey) {
        const raw = text.slice(at, end + 1);
        yield raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        expectKey = false;
      }
      at = end;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      depth++;
      expectKey = depth === 1 && char === OPEN_BRACE;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--;
    } else if (char === COMMA && depth === 1) {
      expectKey = true;
    }
  }
}

/**
 * The index of the quote that closes the string opening at `start`. Found with indexOf, which runs
 * at memchr speed over a string's text, so the scan costs about one step per token, not per
 * character: a 100 kB prompt is mostly the text of a few strings.
 */
function stringEnd(text: string, start: number): number {
  for (let at = text.indexOf('"', start + 1); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return text.length;
}
