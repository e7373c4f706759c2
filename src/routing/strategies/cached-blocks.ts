/**
 * An approximate record of what one engine holds in its prefix cache: the block hashes of the
 * prompts recently sent to it, bounded and aged as the engine ages its own blocks.
 * @module
 */

/**
 * Block hashes in least-recently-used order (a Set iterates in insertion order, so re-adding a hash
 * makes it the newest). A prompt's blocks are added last block first, so its first block is the
 * newest: under pressure an engine frees a sequence's tail before its head (vLLM frees blocks in
 * reverse order for this reason), and a prefix that survives is always a prefix.
 */
export class CachedBlocks {
  readonly #capacity: number;
  readonly #blocks = new Set<number>();

  /** @param capacity - blocks kept at most; the oldest go first. */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  get size(): number {
    return this.#blocks.size;
  }

  /** How many of `blocks`, from the first, are held: the prefix the engine would not prefill again. */
  matchLength(blocks: readonly number[]): number {
    let length = 0;
    while (length < blocks.length && this.#blocks.has(blocks[length]!)) length++;
    return length;
  }

  /**
   * The engine was sent a prompt with these blocks: they become the newest. Blocks beyond the
   * capacity are not kept (the engine could not keep them either, and the head is what counts).
   */
  add(blocks: readonly number[]): void {
    const set = this.#blocks;
    for (let index = Math.min(blocks.length, this.#capacity) - 1; index >= 0; index--) {
      const block = blocks[index]!;
      set.delete(block);
      set.add(block);
    }
    let excess = set.size - this.#capacity;
    // Deleting the entry just visited is safe while iterating a Set.
    for (const oldest of set) {
      if (excess-- <= 0) break;
      set.delete(oldest);
    }
  }
}
