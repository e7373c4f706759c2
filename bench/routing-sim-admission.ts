/**
 * Gateway-side admission by KV tokens, as `routing-sim` models it (`--admission kv`): the strategy
 * still picks the engine, but the turn waits in a gateway queue for that engine until the engine's
 * live working set has room for it. The working set is the distinct KV blocks of the sessions the
 * engine is serving (a turn admitted and not finished) and of those likely to return (a turn
 * finished less than `holdMs` ago), plus the blocks running turns will decode. Holding turns back
 * while that set would overflow the cache is meant to keep the engine's LRU from evicting the
 * histories of sessions about to return, which is what limits `prefix_aware` at saturation.
 *
 * What a gateway would need for it: each engine's KV capacity, the prompt's block hashes (it has
 * them for `prefix_aware`) and a request-end callback to release and age the holds.
 * @module
 */
import { BLOCK_TOKENS } from "../src/mock/engine-sim/tokens.js";

export type AdmissionOrder = "fifo" | "cached-first";

export interface AdmissionSpec {
  /** Share of the engine's KV cache the working set may fill (may exceed 1: shared blocks). */
  capacityFraction: number;
  /** fifo: arrival order. cached-first: the queued turn with most blocks already held first. */
  order: AdmissionOrder;
  /** How long a finished turn's blocks stay counted while its session thinks (ms). */
  holdMs: number;
  /**
   * cached-first only: a turn queued this long goes first whatever it holds, so cold turns do not
   * starve behind warm ones (TTFT p99). None: no such bound.
   */
  agingMs?: number | undefined;
}

export interface AdmissionTurn {
  session: string;
  blockHashes: readonly number[];
  outputTokens: number;
}

interface Hold {
  hashes: readonly number[];
  /** Infinity while a turn of the session runs. */
  untilMs: number;
}

/** One engine's gateway queue and the working set it admits against. */
export class EngineAdmission<T extends AdmissionTurn> {
  readonly #capacityBlocks: number;
  readonly #blocks = new Map<number, number>();
  readonly #holds = new Map<string, Hold>();
  readonly #queue: T[] = [];
  /** When each queued turn was enqueued, in the queue's order. */
  readonly #queuedAt: number[] = [];
  #decodeBlocks = 0;
  #running = 0;

  constructor(
    kvCacheTokens: number,
    readonly spec: AdmissionSpec,
  ) {
    this.#capacityBlocks = Math.floor((kvCacheTokens * spec.capacityFraction) / BLOCK_TOKENS);
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Distinct blocks counted now, decode included. */
  get workingSetBlocks(): number {
    return this.#blocks.size + this.#decodeBlocks;
  }

  enqueue(turn: T, nowMs = 0): void {
    this.#queue.push(turn);
    this.#queuedAt.push(nowMs);
  }

  /**
   * The queued turns that fit now, in admission order, each counted as running from here. An
   * engine with nothing running admits the next turn whatever its size, so a turn larger than the
   * budget still runs.
   */
  admit(nowMs: number): T[] {
    this.#expire(nowMs);
    const admitted: T[] = [];
    while (this.#queue.length > 0) {
      const index = this.#nextIndex(nowMs);
      const turn = this.#queue[index]!;
      if (this.#running > 0 && !this.#fits(turn)) break;
      this.#queue.splice(index, 1);
      this.#queuedAt.splice(index, 1);
      this.#hold(turn.session, turn.blockHashes, Number.POSITIVE_INFINITY);
      this.#decodeBlocks += decodeBlocks(turn);
      this.#running++;
      admitted.push(turn);
    }
    return admitted;
  }

  /** A turn ended: its session's blocks stay counted for `holdMs` while it thinks. */
  finished(turn: T, nowMs: number): void {
    this.#running--;
    this.#decodeBlocks -= decodeBlocks(turn);
    const hold = this.#holds.get(turn.session);
    if (hold !== undefined) hold.untilMs = nowMs + this.spec.holdMs;
    this.#expire(nowMs);
  }

  /**
   * When a hold next ages out or the oldest queued turn comes of age (the order may change then);
   * undefined when neither will after `nowMs`.
   */
  nextWakeMs(nowMs: number): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    const { agingMs } = this.spec;
    if (agingMs !== undefined && this.spec.order === "cached-first" && this.#queue.length > 0) {
      const comesOfAge = this.#queuedAt[0]! + agingMs;
      if (comesOfAge > nowMs) next = comesOfAge;
    }
    for (const hold of this.#holds.values()) if (hold.untilMs > nowMs) next = Math.min(next, hold.untilMs);
    return Number.isFinite(next) ? next : undefined;
  }

  #nextIndex(nowMs: number): number {
    if (this.spec.order === "fifo") return 0;
    const { agingMs } = this.spec;
    if (agingMs !== undefined && nowMs - this.#queuedAt[0]! >= agingMs) return 0;
    let best = 0;
    let bestHeld = -1;
    for (let index = 0; index < this.#queue.length; index++) {
      const held = this.#heldPrefix(this.#queue[index]!);
      if (held > bestHeld) {
        best = index;
        bestHeld = held;
      }
    }
    return best;
  }

  /** Leading blocks of the turn's prompt already in the working set: a guess at its cached prefix. */
  #heldPrefix(turn: T): number {
    let count = 0;
    for (const hash of turn.blockHashes) {
      if (!this.#blocks.has(hash)) break;
      count++;
    }
    return count;
  }

  #fits(turn: T): boolean {
    const own = this.#holds.get(turn.session)?.hashes;
    const ownSet = own === undefined ? undefined : new Set(own);
    let added = 0;
    for (const hash of turn.blockHashes) if (!this.#blocks.has(hash)) added++;
    // Blocks only this session holds and its new prompt drops would be freed by the new hold.
    let freed = 0;
    if (ownSet !== undefined) {
      const next = new Set(turn.blockHashes);
      for (const hash of ownSet) if (!next.has(hash) && this.#blocks.get(hash) === 1) freed++;
    }
    return this.workingSetBlocks + added - freed + decodeBlocks(turn) <= this.#capacityBlocks;
  }

  #hold(session: string, hashes: readonly number[], untilMs: number): void {
    this.#release(session);
    this.#holds.set(session, { hashes, untilMs });
    for (const hash of new Set(hashes)) this.#blocks.set(hash, (this.#blocks.get(hash) ?? 0) + 1);
  }

  #release(session: string): void {
    const hold = this.#holds.get(session);
    if (hold === undefined) return;
    this.#holds.delete(session);
    for (const hash of new Set(hold.hashes)) {
      const count = this.#blocks.get(hash)! - 1;
      if (count === 0) this.#blocks.delete(hash);
      else this.#blocks.set(hash, count);
    }
  }

  #expire(nowMs: number): void {
    for (const [session, hold] of this.#holds) if (hold.untilMs <= nowMs) this.#release(session);
  }
}

function decodeBlocks(turn: AdmissionTurn): number {
  return Math.ceil(turn.outputTokens / BLOCK_TOKENS);
}
