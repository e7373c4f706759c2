/**
 * The simulator's tokenizer approximation and its block hashes. A prompt is as many tokens as it has
 * characters / 4 (rounded up), the usual rule of thumb for English text and code under BPE
 * tokenizers; block `i` is tokens `16i … 16i+15`, so characters `64i … 64i+63`. Each full block is
 * named by a hash chained over every block before it, as vLLM's prefix cache names blocks: two
 * prompts share block `i` only when they agree on everything up to its end.
 * @module
 */

export const CHARS_PER_TOKEN = 4;
/** Tokens per KV cache block (vLLM's default `--block-size`). */
export const BLOCK_TOKENS = 16;
const BLOCK_CHARS = CHARS_PER_TOKEN * BLOCK_TOKENS;

/** Tokens `text` counts as: ⌈characters / 4⌉, never less than 1 (an engine always adds BOS). */
export function simTokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}

/** Blocks of `BLOCK_TOKENS` needed to hold `tokens` tokens. */
export function blocksFor(tokens: number): number {
  return Math.ceil(tokens / BLOCK_TOKENS);
}

/**
 * The chained hashes of `text`'s full blocks (a partial tail block has none: it is never shared).
 * Each hash is 52 bits from two independent 32-bit FNV-1a streams, exact as a JS number, so a
 * collision between two different prefixes is negligible at cache sizes of millions of blocks.
 */
export function blockHashes(text: string): number[] {
  const full = Math.floor(text.length / BLOCK_CHARS);
  const hashes = new Array<number>(full);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let block = 0; block < full; block++) {
    const end = (block + 1) * BLOCK_CHARS;
    for (let i = block * BLOCK_CHARS; i < end; i++) {
      const code = text.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // Carrying a and b on into the next block is what chains the hashes.
    hashes[block] = (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
  }
  return hashes;
}
