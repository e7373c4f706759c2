/**
 * Block hashes over a whole prompt, for prefix-aware routing (`prefix_aware`): the prompt is read
 * as an engine would render it (system, tools, then every message in order) and cut into blocks of
 * a fixed number of characters. Each block's hash covers everything before it too, so two prompts
 * share their first k hashes exactly when they share their first k blocks, which is how an engine's
 * paged prefix cache decides what it can reuse.
 *
 * It runs once per request on the hot path, so it hashes in one pass over the parsed body with no
 * string built: 32-bit FNV-1a carried across the whole prompt, read out at each block boundary.
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

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
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

class BlockHasher {
  readonly blocks: number[] = [];
  readonly #blockChars: number;
  #state = FNV_OFFSET;
  #filled = 0;

  constructor(blockChars: number) {
    this.#blockChars = Math.max(1, Math.floor(blockChars));
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
    this.#state = Math.imul(this.#state ^ code, FNV_PRIME);
    if (++this.#filled === this.#blockChars) this.#endBlock();
  }

  /** The hot loop: whole runs of characters up to the next block boundary, no check per character. */
  text(text: string): void {
    const length = text.length;
    let state = this.#state;
    let index = 0;
    while (index < length) {
      const end = Math.min(length, index + this.#blockChars - this.#filled);
      this.#filled += end - index;
      for (; index < end; index++) state = Math.imul(state ^ text.charCodeAt(index), FNV_PRIME);
      if (this.#filled === this.#blockChars) {
        this.#state = state;
        this.#endBlock();
      }
    }
    this.#state = state;
  }

  /** murmur3's fmix32 on the running state, so blocks that differ in one character spread well. */
  #endBlock(): void {
    let hash = this.#state;
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    this.blocks.push(hash >>> 2);
    this.#filled = 0;
  }
}
