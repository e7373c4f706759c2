/**
 * Token counts read out of response bytes without parsing whole bodies: the gateway only wants
 * `usage` for its metrics, and JSON.parse of every response (or every SSE chunk) would cost more
 * than the rest of the hot path.
 * @module
 */

export interface TokenUsage {
  prompt: number;
  completion: number;
  /** Prompt tokens served from the backend's cache (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`). */
  cached?: number;
  /** Completion tokens spent on reasoning (`reasoning_tokens`). */
  reasoning?: number;
}

const USAGE_KEY = Buffer.from('"usage"');
/** Every count the gateway reads, found in one pass over the window (one regex per count cost four). */
const COUNT =
  /"(prompt_tokens|input_tokens|completion_tokens|output_tokens|cached_tokens|cache_read_input_tokens|reasoning_tokens)"\s*:\s*(\d+)/g;
/** How far past `"usage"` the counts may sit. */
const WINDOW = 512;

/** The token counts in a chunk of JSON or SSE bytes, if it holds a `usage` object. */
export function findUsage(bytes: Buffer): TokenUsage | undefined {
  const at = lastUsageKey(bytes);
  if (at < 0 || !opensObject((index) => bytes[index], at + USAGE_KEY.length, bytes.length)) return undefined;
  // latin1: the names and digits are ASCII, and a window cut inside a character cannot fail to decode.
  return readCounts(bytes.toString("latin1", at, Math.min(bytes.length, at + WINDOW)));
}

const QUOTE = 0x22;
const G = 0x67;
/** Where `g` sits in `"usage"`. */
const G_OFFSET = 4;

/**
 * `g`s looked at before the rest is left to a search for the whole key. An SSE event of a chat
 * stream has two (`logprobs`, `system_fingerprint`), and a read often holds several events: a probe
 * costs ~260 instructions, the whole-key search of a 1.2 kB read of six events ~7,000.
 */
const G_PROBES = 16;

/**
 * Where the last `"usage"` in `bytes` starts, or -1: `bytes.lastIndexOf(USAGE_KEY)`, found through
 * the key's `g` where that is cheaper. Every chunk of a piped stream is searched, and the search for
 * the whole key is slow on JSON, where quotes are dense (it stops at each one): ~5-40x the cost of
 * `memrchr` finding the few `g`s of an SSE chunk. Text with many `g`s and few quotes (a long content
 * delta) is where the whole-key search is fast, so it takes over after a few `g`s.
 */
export function lastUsageKey(bytes: Buffer): number {
  if (bytes.length < USAGE_KEY.length) return -1;
  // Offsets stay >= 0 (a negative one would count from the end).
  let g = bytes.lastIndexOf(G, bytes.length - USAGE_KEY.length + G_OFFSET);
  for (let probes = 0; g >= G_OFFSET; probes++) {
    const at = g - G_OFFSET;
    if (isUsageKeyAt(bytes, at)) return at;
    if (probes === G_PROBES) return at > 0 ? bytes.lastIndexOf(USAGE_KEY, at - 1) : -1;
    g = bytes.lastIndexOf(G, g - 1);
  }
  return -1;
}

function isUsageKeyAt(bytes: Buffer, at: number): boolean {
  return (
    bytes[at] === QUOTE &&
    bytes[at + 1] === 0x75 &&
    bytes[at + 2] === 0x73 &&
    bytes[at + 3] === 0x61 &&
    bytes[at + 5] === 0x65 &&
    bytes[at + 6] === QUOTE
  );
}

/** {@link findUsage} for text already decoded (a parsed event's data), without copying it to bytes. */
export function findUsageInText(text: string): TokenUsage | undefined {
  const at = lastUsageKeyInText(text);
  if (at < 0 || !opensObject((index) => text.charCodeAt(index), at + USAGE_KEY.length, text.length)) {
    return undefined;
  }
  return readCounts(text.slice(at, at + WINDOW));
}

/** `"usage"` without its opening quote. */
const KEY_TAIL = 'usage"';

/**
 * Where the last `"usage"` in `text` starts, or -1: `text.lastIndexOf('"usage"')`, by forward
 * searches for `usage"`. The pump searches every event; V8 searches forward from the pattern's first
 * character, which in `usage"` is rare in event JSON, while a backward search, or one for a pattern
 * starting with `"`, stops at every quote: ~5-10x the cost on a usual event.
 */
export function lastUsageKeyInText(text: string): number {
  let last = -1;
  for (let at = text.indexOf(KEY_TAIL, 1); at > 0; at = text.indexOf(KEY_TAIL, at + 1)) {
    if (text.charCodeAt(at - 1) === QUOTE) last = at - 1;
  }
  return last;
}

/**
 * Whether the key that ends before `from` has an object for its value. Chat streams asked for usage
 * say `"usage":null` in every chunk but the last: those are passed over without decoding anything.
 */
function opensObject(codeAt: (index: number) => number | undefined, from: number, length: number): boolean {
  let index = skipSpace(codeAt, from, length);
  if (codeAt(index) !== COLON) return false;
  index = skipSpace(codeAt, index + 1, length);
  return codeAt(index) === OPEN_BRACE;
}

function skipSpace(codeAt: (index: number) => number | undefined, from: number, length: number): number {
  let index = from;
  while (index < length && isSpace(codeAt(index)!)) index++;
  return index;
}

const COLON = 0x3a;
const OPEN_BRACE = 0x7b;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function readCounts(text: string): TokenUsage | undefined {
  let prompt: number | undefined;
  let completion: number | undefined;
  let cached: number | undefined;
  let reasoning: number | undefined;
  COUNT.lastIndex = 0;
  // The first of each kind counts, as a search for each would find it.
  for (let match = COUNT.exec(text); match !== null; match = COUNT.exec(text)) {
    const count = Number(match[2]);
    switch (match[1]) {
      case "prompt_tokens":
      case "input_tokens":
        prompt ??= count;
        break;
      case "completion_tokens":
      case "output_tokens":
        completion ??= count;
        break;
      case "reasoning_tokens":
        reasoning ??= count;
        break;
      default:
        cached ??= count;
    }
  }
  if (prompt === undefined && completion === undefined) return undefined;
  const usage: TokenUsage = { prompt: prompt ?? 0, completion: completion ?? 0 };
  if (cached !== undefined) usage.cached = cached;
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return usage;
}
