/**
 * The context sequences that generations run on: one per queue slot, created once at load and reused, so
 * a follow-up request can reuse the KV cache of a common prefix. node-llama-cpp frees a sequence only
 * when it is disposed, and `getSequence()` past the context's count throws, so serve hands them out and
 * takes them back itself.
 * @module
 */

export class SequencePool<S> {
  readonly #free: S[];
  readonly #size: number;

  constructor(sequences: readonly S[]) {
    this.#free = [...sequences];
    this.#size = sequences.length;
  }

  get free(): number {
    return this.#free.length;
  }

  /**
   * A free sequence. The queue admits at most as many generations as there are sequences, so an empty
   * pool is a bug, not a load condition: it throws.
   */
  take(): S {
    const sequence = this.#free.pop();
    if (sequence === undefined) throw new Error("no free context sequence (more generations than slots)");
    return sequence;
  }

  /** Returns a sequence taken with {@link take}. */
  give(sequence: S): void {
    if (this.#free.includes(sequence) || this.#free.length >= this.#size) {
      throw new Error("a context sequence was returned twice");
    }
    this.#free.push(sequence);
  }

  /** Runs `use` on a sequence and returns it to the pool however `use` ends. */
  async with<T>(use: (sequence: S) => Promise<T>): Promise<T> {
    const sequence = this.take();
    try {
      return await use(sequence);
    } finally {
      this.give(sequence);
    }
  }
}
