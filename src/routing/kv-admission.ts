/**
 * KV admission for one engine: the gateway-side queue that `routing-sim --admission kv` showed to
 * lift `prefix_aware` above 2× round robin on agent traffic near saturation (docs/performance.md,
 * Routing quality). The strategy still picks the engine; the turn then waits here until the
 * engine's working set has room for it, so the engine's LRU does not evict the histories of
 * sessions about to return.
 *
 * The working set is the distinct prompt blocks of the sessions the engine is serving (a turn
 * admitted, not ended) and of those likely to return (a turn ended less than `holdMs` ago), plus
 * the blocks running turns will decode; a block two sessions share counts once. A turn is let
 * through while that set stays within `capacityBlocks`; an engine running nothing always takes its
 * next turn, so a turn larger than the budget still runs. Queue order is cached-first: the queued
 * turn with the longest prompt prefix already in the working set goes first (FIFO was worse than no
 * admission in the simulator: a returning turn queued behind cold ones loses its history anyway),
 * except that a turn queued `waitBoundMs` or longer goes first, so cold turns do not starve.
 * `order: "fifo"` exists so the simulator can show that difference.
 *
 * Pure and synchronous: the clock is injected and the caller (the gateway's per-engine gate) calls
 * `admit` after `enqueue`, after `ended`, and at `nextWakeMs`.
 * @module
 */
import { ReturnGaps } from "./return-gaps.js";

export interface KvAdmissionSettings {
  /** Blocks the working set may hold: the engine's KV capacity in tokens ÷ tokens per block. */
  readonly capacityBlocks: number;
  /** Tokens per prompt block, to turn a turn's output tokens into blocks. */
  readonly blockTokens: number;
  /**
   * How long an ended turn's blocks stay counted while its session thinks (ms). With a larger
   * `holdCeilingMs`, the least such hold: the hold is then learned from how long sessions take to
   * return (routing/return-gaps.ts), between the two.
   */
  readonly holdMs: number;
  readonly holdCeilingMs?: number | undefined;
  /** A turn queued this long goes first whatever it holds (ms; Infinity: no bound). */
  readonly waitBoundMs: number;
  /** Which queued turn goes next; cached-first unless set. */
  readonly order?: KvAdmissionOrder | undefined;
  /** Turns queued at most; one more is refused (the caller sheds it). */
  readonly maxQueue: number;
}

/** cached-first: the queued turn with the longest held prefix first. fifo: arrival order. */
export type KvAdmissionOrder = "cached-first" | "fifo";

/** What admission needs of a request: its session, its prompt's chained block hashes, its output. */
export interface KvTurn {
  /** Turns of one conversation share it; a request without a session key gets its own. */
  readonly session: string;
  readonly blockHashes: readonly number[];
  /** Tokens it may decode (`max_tokens`, or a default). */
  readonly outputTokens: number;
}

interface Hold {
  hashes: readonly number[];
  /** Turns of the session admitted and not ended. */
  running: number;
  /** When the hold ages out once nothing of the session runs. */
  untilMs: number;
}

interface Queued<T> {
  readonly turn: T;
  readonly sinceMs: number;
}

export class KvAdmission<T extends KvTurn> {
  #settings: KvAdmissionSettings;
  readonly #now: () => number;
  readonly #returns: ReturnGaps;
  /** Distinct held blocks → how many holds count them. */
  readonly #blocks = new Map<number, number>();
  readonly #holds = new Map<string, Hold>();
  /** In arrival order: the head is the longest waiting. */
  readonly #queue: Queued<T>[] = [];
  #decodeBlocks = 0;
  #running = 0;

  constructor(settings: KvAdmissionSettings, now: () => number = () => performance.now()) {
    this.#settings = settings;
    this.#now = now;
    this.#returns = new ReturnGaps(settings.holdMs, settings.holdCeilingMs ?? settings.holdMs);
  }

  /** How long a session ending now is held (ms): `holdMs`, or the hold learned from returns. */
  get holdMs(): number {
    return this.#returns.holdMs;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get running(): number {
    return this.#running;
  }

  /** Distinct blocks counted now, decode included. */
  get workingSetBlocks(): number {
    return this.#blocks.size + this.#decodeBlocks;
  }

  /**
   * The engine's capacity changed (learned from its metrics, or it restarted with another): what is
   * held and queued stays; call `admit` after, since a larger budget may let turns through.
   */
  setCapacity(capacityBlocks: number): void {
    this.#settings = { ...this.#settings, capacityBlocks };
  }

  /** Queues a turn; false when the queue is full (the caller sheds it). Call `admit` after. */
  enqueue(turn: T): boolean {
    if (this.#queue.length >= this.#settings.maxQueue) return false;
    const now = this.#now();
    this.#returns.returned(turn.session, now);
    this.#queue.push({ turn, sinceMs: now });
    return true;
  }

  /** Takes a queued turn out (its client left, or its deadline passed); false if it was not queued. */
  withdraw(turn: T): boolean {
    const index = this.#queue.findIndex((entry) => entry.turn === turn);
    if (index < 0) return false;
    this.#queue.splice(index, 1);
    return true;
  }

  /** The queued turns that fit now, in admission order, each counted as running from here. */
  admit(): T[] {
    const now = this.#now();
    this.#expire(now);
    const admitted: T[] = [];
    while (this.#queue.length > 0) {
      const index = this.#nextIndex(now);
      const { turn } = this.#queue[index]!;
      if (this.#running > 0 && !this.#fits(turn)) break;
      this.#queue.splice(index, 1);
      this.#start(turn);
      admitted.push(turn);
    }
    return admitted;
  }

  /** An admitted turn ended (answered, failed or abandoned): its session's blocks stay held a while. */
  ended(turn: T): void {
    const now = this.#now();
    this.#running--;
    this.#decodeBlocks -= decodeBlocks(turn, this.#settings.blockTokens);
    const hold = this.#holds.get(turn.session);
    if (hold !== undefined) {
      hold.running--;
      if (hold.running === 0) {
        hold.untilMs = now + this.#returns.holdMs;
        this.#returns.ended(turn.session, now);
      }
    }
    this.#expire(now);
  }

  /**
   * When `admit` may next let something through without a turn ending: a hold ages out or the
   * oldest queued turn reaches the wait bound. Undefined when nothing is queued or neither will.
   */
  nextWakeMs(): number | undefined {
    if (this.#queue.length === 0) return undefined;
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    const comesOfAge = this.#queue[0]!.sinceMs + this.#settings.waitBoundMs;
    if (this.#settings.order !== "fifo" && comesOfAge > now) next = comesOfAge;
    for (const hold of this.#holds.values())
      if (hold.running === 0 && hold.untilMs > now) next = Math.min(next, hold.untilMs);
    return Number.isFinite(next) ? next : undefined;
  }

  #nextIndex(now: number): number {
    if (this.#settings.order === "fifo") return 0;
    if (now - this.#queue[0]!.sinceMs >= this.#settings.waitBoundMs) return 0;
    let best = 0;
    let bestHeld = -1;
    for (let index = 0; index < this.#queue.length; index++) {
      const held = this.#heldPrefix(this.#queue[index]!.turn);
      if (held > bestHeld) {
        best = index;
        bestHeld = held;
      }
    }
    return best;
  }

  /** Leading blocks of the prompt already in the working set: a guess at its cached prefix. */
  #heldPrefix(turn: T): number {
    let count = 0;
    for (const hash of turn.blockHashes) {
      if (!this.#blocks.has(hash)) break;
      count++;
    }
    return count;
  }

  #fits(turn: T): boolean {
    let added = 0;
    for (const hash of new Set(turn.blockHashes)) if (!this.#blocks.has(hash)) added++;
    // Blocks only this session holds that its new prompt drops are freed when the new hold replaces the old.
    let freed = 0;
    const own = this.#holds.get(turn.session);
    if (own !== undefined && own.running === 0) {
      const next = new Set(turn.blockHashes);
      for (const hash of new Set(own.hashes)) if (!next.has(hash) && this.#blocks.get(hash) === 1) freed++;
    }
    const needed = this.workingSetBlocks + added - freed + decodeBlocks(turn, this.#settings.blockTokens);
    return needed <= this.#settings.capacityBlocks;
  }

  #start(turn: T): void {
    const previous = this.#holds.get(turn.session);
    const running = (previous?.running ?? 0) + 1;
    // A turn running beside another of its session (rare) keeps the union held until both end.
    const hashes =
      previous !== undefined && previous.running > 0
        ? [...new Set([...previous.hashes, ...turn.blockHashes])]
        : turn.blockHashes;
    this.#release(turn.session);
    this.#holds.set(turn.session, { hashes, running, untilMs: Number.POSITIVE_INFINITY });
    for (const hash of new Set(hashes)) this.#blocks.set(hash, (this.#blocks.get(hash) ?? 0) + 1);
    this.#decodeBlocks += decodeBlocks(turn, this.#settings.blockTokens);
    this.#running++;
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

  #expire(now: number): void {
    for (const [session, hold] of this.#holds)
      if (hold.running === 0 && hold.untilMs <= now) this.#release(session);
  }
}

function decodeBlocks(turn: KvTurn, blockTokens: number): number {
  return Math.ceil(turn.outputTokens / blockTokens);
}
