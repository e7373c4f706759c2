/**
 * mulberry32: a tiny, fast, well-distributed 32-bit PRNG returning floats in [0, 1). Everything that
 * must repeat from a seed uses it: the mock's fault draws and embeddings, the bench's prompts,
 * lengths, model picks and arrivals, and the tests of randomised strategies.
 * @module
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
