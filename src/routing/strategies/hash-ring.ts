/**
 * Consistent hashing for the affinity strategies (`sticky`, `prefix_cache`): a fast string hash,
 * a ring of virtual nodes, and a small cache of rings keyed by the candidate set.
 * @module
 */
import type { BackendView } from "../backend.js";

/**
 * Virtual nodes per backend. Ketama's 160 keeps each backend's share of the ring within a few
 * percent of 1/N, so adding or removing a backend moves close to 1/N of the keys.
 */
export const DEFAULT_VIRTUAL_NODES = 160;

/** Rings kept at once: one per distinct candidate set (models, backends out of rotation). */
const RING_CACHE_SIZE = 16;

/**
 * 32-bit FNV-1a over the first `limit` UTF-16 code units of `text`, finished with murmur3's fmix32.
 * FNV-1a alone spreads short, similar strings ("b0#1", "b0#2") poorly in the high bits, which a
 * ring depends on; the finaliser fixes that for a few multiplications. Not cryptographic: a client
 * choosing its key can choose its backend, which affinity allows anyway.
 */
export function hashString(text: string, limit: number = text.length): number {
  const end = Math.min(limit, text.length);
  let hash = 0x811c9dc5;
  for (let index = 0; index < end; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * An immutable ring of `virtualNodes` points per backend id. Owners are indexes into `ids`, which is
 * the candidate order the ring was built for, so a lookup costs no search by id. A point's position
 * depends only on its backend's id, never on the other backends, which is what makes adding a
 * backend move only keys onto it and removing one move only its keys.
 */
export class HashRing {
  readonly ids: readonly string[];
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(ids: readonly string[], virtualNodes: number = DEFAULT_VIRTUAL_NODES) {
    this.ids = ids;
    const count = ids.length * virtualNodes;
    const points = new Uint32Array(count);
    const owners = new Uint32Array(count);
    for (let owner = 0; owner < ids.length; owner++) {
      for (let replica = 0; replica < virtualNodes; replica++) {
        const slot = owner * virtualNodes + replica;
        points[slot] = hashString(`${ids[owner]}#${replica}`);
        owners[slot] = owner;
      }
    }
    // Colliding points are ordered by id so the ring is the same whatever the candidate order.
    const order = Array.from({ length: count }, (_, slot) => slot).sort(
      (a, b) => points[a]! - points[b]! || compareIds(ids[owners[a]!]!, ids[owners[b]!]!),
    );
    this.#points = Uint32Array.from(order, (slot) => points[slot]!);
    this.#owners = Uint32Array.from(order, (slot) => owners[slot]!);
  }

  /** Number of points on the ring. */
  get size(): number {
    return this.#points.length;
  }

  /** Position of the first point at or clockwise after `hash` (binary search, O(log n)). */
  locate(hash: number): number {
    const points = this.#points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle]! < hash) low = middle + 1;
      else high = middle;
    }
    return low === points.length ? 0 : low;
  }

  /** Index in `ids` of the backend owning the point at `position` (wrapping around the ring). */
  ownerAt(position: number): number {
    return this.#owners[position % this.#owners.length]!;
  }

  /** Whether the ring was built for exactly these candidates in this order (no allocation). */
  matches(candidates: readonly BackendView[]): boolean {
    if (candidates.length !== this.ids.length) return false;
    for (let index = 0; index < candidates.length; index++) {
      if (candidates[index]!.id !== this.ids[index]) return false;
    }
    return true;
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Rings by candidate set. Steady state costs one O(n) comparison with the last ring used; a
 * different set (another model, a backend filtered out) is looked up by its joined ids, and built
 * at most once while it stays among the {@link RING_CACHE_SIZE} most recently used. The key keeps
 * candidate order, which the registry keeps stable; a reordered set only costs one more build.
 */
export class RingCache {
  readonly #virtualNodes: number;
  readonly #rings = new Map<string, HashRing>();
  #last: HashRing | undefined;

  constructor(virtualNodes: number = DEFAULT_VIRTUAL_NODES) {
    this.#virtualNodes = virtualNodes;
  }

  /** The ring for these candidates; its owner indexes point into `candidates`. */
  ringFor(candidates: readonly BackendView[]): HashRing {
    if (this.#last?.matches(candidates)) return this.#last;
    let key = "";
    for (const candidate of candidates) key += `${candidate.id}\u0000`;
    let ring = this.#rings.get(key);
    // The match check makes even a key collision (an id containing NUL) harmless.
    if (ring === undefined || !ring.matches(candidates)) {
      ring = new HashRing(
        candidates.map((candidate) => candidate.id),
        this.#virtualNodes,
      );
    } else {
      this.#rings.delete(key);
    }
    this.#rings.set(key, ring);
    if (this.#rings.size > RING_CACHE_SIZE) {
      const oldest = this.#rings.keys().next();
      if (!oldest.done) this.#rings.delete(oldest.value);
    }
    this.#last = ring;
    return ring;
  }

  /** Drops every ring that includes the backend. */
  forget(backendId: string): void {
    for (const [key, ring] of this.#rings) {
      if (ring.ids.includes(backendId)) this.#rings.delete(key);
    }
    if (this.#last?.ids.includes(backendId)) this.#last = undefined;
  }
}
