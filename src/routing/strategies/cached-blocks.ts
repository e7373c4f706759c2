/**
 * An approximate record of what one engine holds in its prefix cache: the block hashes of the
 * prompts recently sent to it, bounded and aged as the engine ages its own blocks.
 * @module
 */

/**
 * Two generations of block hashes, an approximate LRU that costs nothing for blocks already young:
 * new and touched blocks go into the young set; when it reaches half the capacity it becomes the old
 * set and the previous old set is dropped, so the record keeps between half and all of `capacity`,
 * and a block survives as long as it was sent within the last one to two generations.
 *
 * The record is prefix-closed: a block's hash covers every block before it (prompt-blocks.ts), so a
 * prompt that touches block k touches blocks 0..k-1 as well, and they are added after it (a
 * prompt's blocks go in last first). Whenever block k is held, blocks 0..k-1 are held in the same or
 * a younger generation. The engine keeps the same shape (vLLM frees a sequence's tail first), and
 * it lets both questions below be answered by binary search: O(log n) lookups for an n-block prompt,
 * plus one insertion per block that is new.
 */
export class CachedBlocks {
  readonly #generation: number;
  #young = new Set<number>();
  #old = new Set<number>();

  /** @param capacity - blocks kept at most; a generation is half of it. */
  constructor(capacity: number) {
    this.#generation = Math.max(1, Math.ceil(capacity / 2));
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** How many of `blocks`, from the first, are held: the prefix the engine would not prefill again. */
  matchLength(blocks: readonly number[]): number {
    return prefixHeld(blocks, (block) => this.#young.has(block) || this.#old.has(block));
  }

  /** The engine was sent a prompt with these blocks: they become the youngest. */
  add(blocks: readonly number[]): void {
    // Blocks already young stay where they are; the new tail goes in, last block first. A
    // generation that turns over meanwhile takes the head with it, so then the head is re-added too.
    const alreadyYoung = prefixHeld(blocks, (block) => this.#young.has(block));
    let turnedOver = false;
    for (let index = blocks.length - 1; index >= 0; index--) {
      if (index < alreadyYoung && !turnedOver) break;
      if (this.#young.size >= this.#generation) {
        this.#old = this.#young;
        this.#young = new Set();
        turnedOver = true;
      }
      const block = blocks[index]!;
      this.#old.delete(block);
      this.#young.add(block);
    }
  }
}

/** The largest k such that `held(blocks[k - 1])`, for a predicate that is true on a prefix. */
function prefixHeld(blocks: readonly number[], held: (block: number) => boolean): number {
  let low = 0;
  let high = blocks.length;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (held(blocks[middle - 1]!)) low = middle;
    else high = middle - 1;
  }
  return low;
}
