/**
 * Prefix aware: each request goes to the backend that already holds the longest prefix of its whole
 * prompt in its KV cache, within a bound on load, so agent sessions that share a long system prompt
 * still land where their own conversation is warm.
 *
 * **Why a local record is enough across replicas.** What each engine holds is estimated from the
 * prompts this gateway process sent it ({@link CachedBlocks}); replicas (and `--workers` workers)
 * do not share it. Sharing would put a store round trip on every request for a guess that is
 * approximate anyway (the engine evicts on its own schedule), and a wrong guess costs one cold
 * prefill, never an error. Replicas still agree where it matters: a conversation's turns carry the
 * same session key (`user`, a session header, `prompt_cache_key`, a Responses chain), and when the
 * record cannot tell backends apart (a first turn, a short prompt, a turn routed by another
 * replica) the key picks the backend on a consistent-hash ring that every replica builds alike.
 * @module
 */
import { type BackendView, requestLoad } from "../backend.js";
import { CachedBlocks } from "./cached-blocks.js";
import { DEFAULT_VIRTUAL_NODES, hashString, RingCache } from "./hash-ring.js";
import { loadRatio } from "./least-loaded.js";
import type { RoutingRequest, Strategy } from "./strategy.js";

export interface PrefixAwareOptions {
  /** Bytes of UTF-8 per hashed block, rounded up to a multiple of 4 (characters, for ASCII; about a quarter as many tokens); default {@link DEFAULT_BLOCK_CHARS}. */
  readonly blockChars?: number;
  /** Blocks remembered per backend at most, the least recently sent forgotten first; default {@link DEFAULT_CACHE_BLOCKS}. */
  readonly cacheBlocks?: number;
  /** Most a backend may carry as a multiple of the mean load on an idle fleet (1 at saturation); default {@link DEFAULT_LOAD_BOUND}. */
  readonly loadBound?: number;
  /** Points per backend on the session-key hash ring; default {@link DEFAULT_VIRTUAL_NODES}. */
  readonly virtualNodes?: number;
}

/** 256 characters ≈ 64 tokens: coarse enough to hash cheaply, fine enough to follow a conversation. */
export const DEFAULT_BLOCK_CHARS = 256;
/**
 * 8,192 blocks of 64 tokens ≈ 524k tokens: the KV cache an 80 GB GPU leaves for an 8B model
 * (Llama-3-8B keeps 128 KiB per token in fp16; ~64 GB free after the weights).
 */
export const DEFAULT_CACHE_BLOCKS = 8192;
export const DEFAULT_LOAD_BOUND = 1.25;

const NO_BLOCKS: readonly number[] = [];
/** A candidate's match when it is above the load bound: below any real match, even 0 blocks. */
const OVER_BOUND = -1;
/** Wraps the tie-breaking turn well inside the safe-integer range. */
const TURN_WRAP = 1_000_000_007;

/**
 * For each request:
 * 1. **Bounded load, tightening as the fleet fills.** A candidate whose load (in flight + the
 *    engine's own queue) would pass ceil(f × mean load, this request included) is out. The least
 *    loaded candidate is always in, so a hot prefix spills over instead of piling onto one engine
 *    (the "death spiral"). The factor f is `loadBound` on an idle fleet and falls linearly to 1 as
 *    the mean share of capacity in use (as `least_loaded` counts it) reaches 1: with room to spare,
 *    an engine 25 % above the mean still starts a request at once and the prefill it saves is pure
 *    gain; near saturation every request above the mean waits in that engine's queue, and its
 *    queue, not its prefill, is what the tail of TTFT shows.
 * 2. **Longest prefix beyond what most hold.** Among the rest, the one whose record holds the most
 *    leading blocks of the prompt wins: its engine skips that much prefill. Load only matters
 *    through the bound. A prefix more than half of the candidates hold counts as held by all: a
 *    hot system prompt says nothing about where to go, and the backends that lack it yet get their
 *    share by load and compute it once, instead of being kept out of that traffic until the bound
 *    pushes it to them (a hot prefix's start-up imbalance).
 * 3. **Ties** (no blocks, a short prompt, or a prefix most engines hold, such as a shared system
 *    prompt) go by session key on a consistent-hash ring when the request has one, walking on past
 *    backends above the mean load (bounded-load consistent hashing with no headroom: a key only
 *    breaks ties, it must not unbalance the fleet); else, or when no tied backend is at or below
 *    the mean, to the least loaded tied candidate by share of capacity, as `least_loaded` (ties
 *    rotate, per model). Without shared prefixes the strategy is then `least_loaded`.
 *
 * The chosen backend's record then takes the prompt's blocks, at the pick: an attempt that fails
 * before the engine reads the prompt leaves the prompt believed warm there when it is not, which
 * costs the next turn sent there one cold prefill and nothing else.
 */
export class PrefixAwareStrategy implements Strategy {
  readonly name = "prefix_aware";
  readonly #blockChars: number;
  readonly #cacheBlocks: number;
  readonly #loadBound: number;
  readonly #rings: RingCache;
  readonly #records = new Map<string, CachedBlocks>();
  readonly #turns = new Map<string, number>();
  /** Per candidate, its match in blocks or {@link OVER_BOUND}; reused across picks. */
  #matches = new Int32Array(8);
  /** Scratch for {@link PrefixAwareStrategy.#widelyHeld}. */
  #sorted = new Int32Array(8);

  constructor(options: PrefixAwareOptions = {}) {
    this.#blockChars = options.blockChars ?? DEFAULT_BLOCK_CHARS;
    this.#cacheBlocks = options.cacheBlocks ?? DEFAULT_CACHE_BLOCKS;
    this.#loadBound = Math.max(1, options.loadBound ?? DEFAULT_LOAD_BOUND);
    this.#rings = new RingCache(options.virtualNodes ?? DEFAULT_VIRTUAL_NODES);
  }

  pick<T extends BackendView>(candidates: readonly T[], request: RoutingRequest): T | undefined {
    if (candidates.length === 0) return undefined;
    const blocks = request.promptBlocks?.(this.#blockChars) ?? NO_BLOCKS;
    const chosen = candidates.length === 1 ? candidates[0]! : this.#choose(candidates, blocks, request);
    if (blocks.length > 0) this.#recordOf(chosen.id).add(blocks);
    return chosen;
  }

  forget(backendId: string): void {
    this.#records.delete(backendId);
    this.#rings.forget(backendId);
  }

  /** Blocks this strategy believes the backend holds (for tests and diagnostics). */
  cachedBlocks(backendId: string): number {
    return this.#records.get(backendId)?.size ?? 0;
  }

  #choose<T extends BackendView>(
    candidates: readonly T[],
    blocks: readonly number[],
    request: RoutingRequest,
  ): T {
    const matches = this.#scratch(candidates.length);
    for (let index = 0; index < candidates.length; index++)
      matches[index] =
        blocks.length === 0 ? 0 : (this.#records.get(candidates[index]!.id)?.matchLength(blocks) ?? 0);
    const common = this.#widelyHeld(matches, candidates.length);
    const bound = this.#bound(candidates);
    let best = OVER_BOUND;
    let bestIndex = 0;
    let tied = 0;
    for (let index = 0; index < candidates.length; index++) {
      const match =
        requestLoad(candidates[index]!) + 1 > bound ? OVER_BOUND : Math.max(matches[index]!, common);
      matches[index] = match;
      if (match > best) {
        best = match;
        bestIndex = index;
        tied = 1;
      } else if (match === best) {
        tied++;
      }
    }
    if (tied === 1) return candidates[bestIndex]!;
    return this.#breakTie(candidates, matches, best, request);
  }

  /**
   * The longest match more than half of the candidates hold: a prefix replicated that widely (a hot
   * system prompt) tells nothing about where to go, and the few backends without it yet should get
   * their share by load and compute it once, not be kept out of that traffic until the load bound
   * pushes it to them (the start-up imbalance of a hot prefix).
   */
  #widelyHeld(matches: Int32Array, count: number): number {
    if (this.#sorted.length < count) this.#sorted = new Int32Array(count * 2);
    const sorted = this.#sorted;
    // Insertion sort, descending: a handful of candidates, and no allocation on the hot path.
    for (let index = 0; index < count; index++) {
      const match = matches[index]!;
      let at = index;
      while (at > 0 && sorted[at - 1]! < match) {
        sorted[at] = sorted[at - 1]!;
        at--;
      }
      sorted[at] = match;
    }
    return sorted[Math.floor(count / 2)]!;
  }

  /**
   * Among the candidates whose match is `best`: the session's place on the ring while that backend
   * is not above the mean load, else the least loaded (by share of capacity, as `least_loaded`).
   */
  #breakTie<T extends BackendView>(
    candidates: readonly T[],
    matches: Int32Array,
    best: number,
    request: RoutingRequest,
  ): T {
    const key = request.sessionKey;
    if (key !== undefined && key !== "") {
      const even = this.#bound(candidates, 1);
      const ring = this.#rings.ringFor(candidates);
      const start = ring.locate(hashString(key));
      for (let step = 0; step < ring.size; step++) {
        const owner = ring.ownerAt(start + step);
        if (matches[owner] === best && requestLoad(candidates[owner]!) + 1 <= even) return candidates[owner]!;
      }
    }
    const count = candidates.length;
    const turn = this.#turns.get(request.model) ?? 0;
    this.#turns.set(request.model, (turn + 1) % TURN_WRAP);
    let chosen = -1;
    let lowest = Number.POSITIVE_INFINITY;
    for (let step = 0; step < count; step++) {
      const index = (turn + step) % count;
      if (matches[index] !== best) continue;
      const value = loadRatio(candidates[index]!);
      if (value < lowest) {
        lowest = value;
        chosen = index;
      }
    }
    return candidates[chosen < 0 ? turn % count : chosen]!;
  }

  /**
   * ceil(factor × (total load + 1) ÷ candidates): the most a backend may carry after this request.
   * Without a factor, the saturation-aware one: `loadBound` scaled down by the fleet's mean share of
   * capacity in use, down to 1 (no headroom) once that share reaches 1.
   */
  #bound(candidates: readonly BackendView[], factor?: number): number {
    let total = 1;
    let used = 0;
    for (const candidate of candidates) {
      total += requestLoad(candidate);
      used += loadRatio(candidate);
    }
    const headroom = Math.max(0, 1 - used / candidates.length);
    const f = factor ?? 1 + (this.#loadBound - 1) * headroom;
    // The small epsilon keeps float error (1.1 × 10 = 11.000000000000002) from adding a whole request.
    return Math.ceil((f * total) / candidates.length - 1e-9);
  }

  #scratch(count: number): Int32Array {
    if (this.#matches.length < count) this.#matches = new Int32Array(count * 2);
    return this.#matches;
  }

  #recordOf(backendId: string): CachedBlocks {
    let record = this.#records.get(backendId);
    if (record === undefined) {
      record = new CachedBlocks(this.#cacheBlocks);
      this.#records.set(backendId, record);
    }
    return record;
  }
}
