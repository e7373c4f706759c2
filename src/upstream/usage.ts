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
const PROMPT = /"(?:prompt_tokens|input_tokens)"\s*:\s*(\d+)/;
const COMPLETION = /"(?:completion_tokens|output_tokens)"\s*:\s*(\d+)/;
const CACHED = /"(?:cached_tokens|cache_read_input_tokens)"\s*:\s*(\d+)/;
const REASONING = /"reasoning_tokens"\s*:\s*(\d+)/;
/** How far past `"usage"` the counts may sit. */
const WINDOW = 512;

/** The token counts in a chunk of JSON or SSE bytes, if it holds a `usage` object. */
export function findUsage(bytes: Buffer): TokenUsage | undefined {
  const at = bytes.lastIndexOf(USAGE_KEY);
  if (at < 0 || !opensObject((index) => bytes[index], at + USAGE_KEY.length, bytes.length)) return undefined;
  return readCounts(bytes.toString("utf8", at, Math.min(bytes.length, at + WINDOW)));
}

/** {@link findUsage} for text already decoded (a parsed event's data), without copying it to bytes. */
export function findUsageInText(text: string): TokenUsage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at < 0 || !opensObject((index) => text.charCodeAt(index), at + USAGE_KEY.length, text.length)) {
    return undefined;
  }
  return readCounts(text.slice(at, at + WINDOW));
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
  const prompt = PROMPT.exec(text);
  const completion = COMPLETION.exec(text);
  if (!prompt && !completion) return undefined;
  const usage: TokenUsage = { prompt: Number(prompt?.[1] ?? 0), completion: Number(completion?.[1] ?? 0) };
  const cached = CACHED.exec(text);
  if (cached) usage.cached = Number(cached[1]);
  const reasoning = REASONING.exec(text);
  if (reasoning) usage.reasoning = Number(reasoning[1]);
  return usage;
}
