/**
 * The paged KV cache: a fixed number of blocks of 16 tokens. A prompt's full blocks are named by
 * their chained hashes (tokens.ts) and shared between sequences; once no running sequence holds a
 * computed block it stays cached, evictable, and a later prompt with the same prefix reuses it
 * without computing it again. New blocks take free space first, then evict the least recently used
 * unreferenced block; a referenced block is never evicted. Blocks a sequence alone can use (the
 * partial tail of its prompt, its output) are counted, not named.
 *
 * As in vLLM, a block is shared only once computed: a second sequence arriving while the first is
 * still in prefill computes its own copy.
 * @module
 */

interface CachedBlock {
  refs: number;
  computed: boolean;
}

/** The blocks one sequence holds. */
export interface BlockTable {
  /** Named blocks it references, in prompt order. */
  readonly shared: readonly number[];
  /** Blocks only it uses: its prompt's tail and duplicates of blocks still in prefill elsewhere, its output. */
  readonly privateBlocks: number;
  /** Leading blocks of its prompt that were found computed in the cache. */
  readonly hitBlocks: number;
}

export class KvCache {
  readonly capacityBlocks: number;
  readonly #blocks = new Map<number, CachedBlock>();
  /** Computed blocks no sequence references, least recently used first (Map keeps insertion order). */
  readonly #evictable = new Map<number, true>();
  /** Blocks some sequence holds: referenced named blocks plus private ones. */
  #used = 0;

  constructor(capacityBlocks: number) {
    if (!Number.isInteger(capacityBlocks) || capacityBlocks < 1) {
      throw new Error(`KV cache capacity must be a positive whole number of blocks (got ${capacityBlocks})`);
    }
    this.capacityBlocks = capacityBlocks;
  }

  get usedBlocks(): number {
    return this.#used;
  }

  /** Named blocks held in the cache, referenced or evictable. */
  get cachedBlocks(): number {
    return this.#blocks.size;
  }

  get evictableBlocks(): number {
    return this.#evictable.size;
  }

  /** vLLM's `kv_cache_usage_perc`: the fraction of blocks some sequence holds (evictable ones are free). */
  usage(): number {
    return this.#used / this.capacityBlocks;
  }

  /** How many leading blocks of `hashes` are computed in the cache. */
  cachedPrefix(hashes: readonly number[]): number {
    let hits = 0;
    while (hits < hashes.length && this.#blocks.get(hashes[hits]!)?.computed === true) hits++;
    return hits;
  }

  /**
   * Takes `totalBlocks` blocks for a sequence whose prompt's full blocks are `hashes`: the leading
   * cached ones by reference, the rest new. Undefined (and nothing changed) when they do not fit.
   */
  allocate(hashes: readonly number[], totalBlocks: number): BlockTable | undefined {
    const hits = this.cachedPrefix(hashes);
    let revived = 0;
    for (let i = 0; i < hits; i++) if (this.#blocks.get(hashes[i]!)!.refs === 0) revived++;
    const fresh = totalBlocks - hits;
    if (this.capacityBlocks - this.#used - revived < fresh) return undefined;

    const shared: number[] = [];
    for (let i = 0; i < hits; i++) {
      const hash = hashes[i]!;
      const block = this.#blocks.get(hash)!;
      if (block.refs === 0) {
        this.#evictable.delete(hash);
        this.#used++;
      }
      block.refs++;
      shared.push(hash);
    }
    let privateBlocks = 0;
    for (let i = hits; i < totalBlocks; i++) {
      this.#makeRoom();
      this.#used++;
      const hash = i < hashes.length ? hashes[i]! : undefined;
      if (hash !== undefined && !this.#blocks.has(hash)) {
        this.#blocks.set(hash, { refs: 1, computed: false });
        shared.push(hash);
      } else {
        privateBlocks++;
      }
    }
    return { shared, privateBlocks, hitBlocks: hits };
  }

  /** The sequence's prompt is computed: its named blocks may now be shared. */
  markComputed(table: BlockTable): void {
    for (const hash of table.shared) this.#blocks.get(hash)!.computed = true;
  }

  /**
   * Gives a sequence's blocks back. Named computed blocks stay cached as evictable, the prompt's
   * last block first in line for eviction, so a shared prefix outlives the tails that follow it.
   */
  release(table: BlockTable): void {
    for (let i = table.shared.length - 1; i >= 0; i--) {
      const hash = table.shared[i]!;
      const block = this.#blocks.get(hash)!;
      block.refs--;
      if (block.refs > 0) continue;
      this.#used--;
      if (block.computed) this.#evictable.set(hash, true);
      else this.#blocks.delete(hash);
    }
    this.#used -= table.privateBlocks;
  }

  /** Forgets every cached block no sequence holds (vLLM's `POST /reset_prefix_cache`); returns how many. */
  resetPrefixCache(): number {
    const dropped = this.#evictable.size;
    for (const hash of this.#evictable.keys()) this.#blocks.delete(hash);
    this.#evictable.clear();
    return dropped;
  }

  /** Ensures one block is neither held nor cached, evicting the least recently used if needed. */
  #makeRoom(): void {
    if (this.capacityBlocks - this.#used - this.#evictable.size > 0) return;
    const oldest = this.#evictable.keys().next().value;
    if (oldest === undefined) throw new Error("KV cache over capacity: allocate checked the space");
    this.#evictable.delete(oldest);
    this.#blocks.delete(oldest);
  }
}
