/**
 * Block hashes over a whole prompt, for prefix-aware routing (`prefix_aware`): the prompt is read
 * as an engine would render it (system, tools, then every message in order) and cut into blocks of
 * a fixed number of characters. Each block's hash covers everything before it too, so two prompts
 * share their first k hashes exactly when they share their first k blocks, which is how an engine's
 * paged prefix cache decides what it can reuse.
 *
 * It runs once per request on the hot path, so it walks the parsed body once, with no string built:
 * each piece of text is encoded as UTF-8 into a reused buffer and hashed four bytes at a time, with
 * one 32-bit murmur3 state carried across the whole prompt and read out at each block boundary. A block is
 * `blockChars` bytes of that encoding (characters, for ASCII), rounded up to a multiple of 4.
 * @module
 */

/** The parts of a request that make up its prompt, in the order an engine renders them. */
export interface PromptParts {
  /** Text that comes before the messages: Anthropic's `system`, Responses' `instructions`, a completion's `prompt`. */
  readonly leading?: unknown;
  /** Tool definitions, which chat templates render ahead of the conversation. */
  readonly tools?: unknown;
  /** The conversation: chat `messages`, Anthropic `messages`, Responses input items. */
  readonly messages?: unknown;
}

/** The hashes of a prompt's full blocks, for a block size; computed once per size. */
export type PromptBlocks = (blockChars: number) => readonly number[];

/**
 * Keys that change between turns without changing what the engine renders: Anthropic moves its
 * `cache_control` marker to the newest message, and stored Responses items gain `id`s. Hashing
 * them would make each turn's prompt look unrelated to the last.
 */
const IGNORED_KEYS = new Set(["cache_control", "id"]);

/** Text part types whose `text` is all the engine sees: the same words hash alike in any protocol. */
const TEXT_PART_TYPES = new Set(["text", "input_text", "output_text"]);

/** Deeper structures are hashed no further; no real prompt nests this deep. */
const MAX_DEPTH = 32;

const HASH_SEED = 0x811c9dc5 | 0;
const MURMUR_C1 = 0xcc9e2d51 | 0;
const MURMUR_C2 = 0x1b873593 | 0;
/**
 * Structure marks, below any printable character, so a key's name never runs into its value and
 * messages stay apart. Array items get none: a string and a list of text parts with the same words
 * (OpenAI's and Anthropic's ways of writing one message) hash alike.
 */
const MARK_KEY = 1;
const MARK_MESSAGE = 2;

/**
 * Hashes of every full block of `parts`, seeded with `seed` (the model name, so one backend
 * serving two models keeps their prompts apart). A trailing partial block has no hash: engines
 * cache only full blocks. Each hash is a non-negative 30-bit integer (a V8 small integer, cheap to
 * keep in a Set); a false match between different prompts is one in 2^30 per block compared, and
 * costs only a cold prefill.
 */
export function promptBlockHashes(parts: PromptParts, blockChars: number, seed = ""): number[] {
  const hasher = new BlockHasher(blockChars);
  hasher.text(seed);
  if (parts.leading !== undefined && parts.leading !== null) {
    hasher.mark(MARK_MESSAGE);
    hasher.text("system");
    hasher.value(parts.leading, 0);
  }
  if (parts.tools !== undefined && parts.tools !== null) hasher.value(parts.tools, 0);
  if (Array.isArray(parts.messages)) {
    for (const message of parts.messages) hasher.message(message);
  } else if (parts.messages !== undefined) {
    hasher.value(parts.messages, 0);
  }
  return hasher.blocks;
}

/** A {@link PromptBlocks} that hashes only when a strategy first asks, and once per block size. */
export function lazyPromptBlocks(parts: PromptParts, seed: string): PromptBlocks {
  let size = 0;
  let blocks: readonly number[] = [];
  return (blockChars) => {
    if (blockChars !== size) {
      blocks = promptBlockHashes(parts, blockChars, seed);
      size = blockChars;
    }
    return blocks;
  };
}

/** Strings up to this long are copied in a loop rather than through the encoder. */
const SHORT_TEXT = 48;

/** Longest run of a string encoded at once; a longer one goes in slices, so the scratch stays small. */
const SLICE_CHARS = 16_384;

/**
 * Where text is encoded before it is hashed, four bytes at a time: reading a string through
 * `charCodeAt` costs several times more than Node's native UTF-8 encoder plus a word loop. One per
 * process, reused by every request (hashing is synchronous), grown only for a larger block size.
 */
let scratch = Buffer.allocUnsafeSlow(0);
let words = new Int32Array(0);

/** The scratch, as bytes and as words, with room for a block and an encoded slice. */
function scratchFor(blockBytes: number): { bytes: Buffer; words: Int32Array } {
  const needed = blockBytes + SLICE_CHARS * 3 + 8;
  if (scratch.length < needed) {
    scratch = Buffer.allocUnsafeSlow(needed);
    words = new Int32Array(scratch.buffer, scratch.byteOffset, scratch.length >>> 2);
  }
  return { bytes: scratch, words };
}

class BlockHasher {
  readonly blocks: number[] = [];
  /** Bytes per block: a multiple of 4, so every block starts on a word. */
  readonly #blockBytes: number;
  readonly #buffer: Buffer;
  readonly #words: Int32Array;
  /** Bytes encoded and not yet hashed, from the start of the scratch. */
  #pending = 0;
  #state = HASH_SEED;

  constructor(blockChars: number) {
    this.#blockBytes = Math.max(4, Math.ceil(blockChars / 4) * 4);
    const { bytes, words } = scratchFor(this.#blockBytes);
    this.#buffer = bytes;
    this.#words = words;
  }

  /** A message: its role, then its content, then anything else it carries (tool calls, names). */
  message(message: unknown): void {
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      this.value(message, 0);
      return;
    }
    const fields = message as Record<string, unknown>;
    this.mark(MARK_MESSAGE);
    if (typeof fields.role === "string") this.text(fields.role);
    this.value(fields.content, 1);
    for (const key in fields) {
      if (key === "role" || key === "content" || IGNORED_KEYS.has(key)) continue;
      this.#field(key, fields[key], 1);
    }
  }

  value(value: unknown, depth: number): void {
    if (typeof value === "string") this.text(value);
    else if (typeof value === "number" || typeof value === "boolean") this.text(String(value));
    else if (depth >= MAX_DEPTH || typeof value !== "object" || value === null) return;
    else if (Array.isArray(value)) {
      for (const item of value) this.value(item, depth + 1);
    } else this.#object(value as Record<string, unknown>, depth);
  }

  #object(object: Record<string, unknown>, depth: number): void {
    if (typeof object.text === "string" && TEXT_PART_TYPES.has(object.type as string)) {
      this.text(object.text);
      return;
    }
    for (const key in object) {
      if (!IGNORED_KEYS.has(key)) this.#field(key, object[key], depth + 1);
    }
  }

  #field(key: string, value: unknown, depth: number): void {
    this.mark(MARK_KEY);
    this.text(key);
    this.value(value, depth);
  }

  mark(code: number): void {
    this.#buffer[this.#pending++] = code;
    if (this.#pending >= this.#blockBytes) this.#hashFullBlocks();
  }

  text(text: string): void {
    if (text.length <= SHORT_TEXT) {
      this.#shortText(text);
      return;
    }
    for (let start = 0; start < text.length; start += SLICE_CHARS) {
      const slice = start === 0 && text.length <= SLICE_CHARS ? text : text.slice(start, start + SLICE_CHARS);
      this.#pending += this.#buffer.write(slice, this.#pending, "utf8");
      if (this.#pending >= this.#blockBytes) this.#hashFullBlocks();
    }
  }

  /** Keys, roles and other short strings: copied byte by byte, cheaper than a call into the encoder. */
  #shortText(text: string): void {
    const buffer = this.#buffer;
    let pending = this.#pending;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code >= 0x80) {
        pending += buffer.write(text.slice(index), pending, "utf8");
        break;
      }
      buffer[pending++] = code;
    }
    this.#pending = pending;
    if (pending >= this.#blockBytes) this.#hashFullBlocks();
  }

  /** Hashes every full block pending, then moves the partial one left to the start. */
  #hashFullBlocks(): void {
    const blockWords = this.#blockBytes >>> 2;
    const full = Math.floor(this.#pending / this.#blockBytes);
    const words = this.#words;
    let state = this.#state;
    for (let block = 0; block < full; block++) {
      const end = (block + 1) * blockWords;
      // murmur3_32's body. A lighter mix (rotate, xor, multiply) let digits that differ in two
      // adjacent words cancel: 25 times the collisions of a random 30-bit hash on "session N" texts.
      for (let word = block * blockWords; word < end; word++) {
        let mixed = Math.imul(words[word]!, MURMUR_C1);
        mixed = Math.imul((mixed << 15) | (mixed >>> 17), MURMUR_C2);
        state ^= mixed;
        state = (Math.imul((state << 13) | (state >>> 19), 5) + 0xe6546b64) | 0;
      }
      this.blocks.push(finish(state));
    }
    this.#state = state;
    const hashed = full * this.#blockBytes;
    this.#buffer.copyWithin(0, hashed, this.#pending);
    this.#pending -= hashed;
  }
}

/** murmur3's fmix32 on the running state (its finaliser), kept to 30 bits. */
function finish(state: number): number {
  let hash = state;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 2;
}
