/**
 * Continuous batching on a virtual clock, after vLLM's V1 scheduler. Each `step()` builds one batch
 * and advances the clock by the profile's time for it:
 *
 * 1. running sequences first, in admission order: a decoding one takes 1 token of the step's budget,
 *    one still in prefill takes the next chunk of its prompt (chunked prefill);
 * 2. then waiting sequences, first come first served, while fewer than `maxNumSeqs` run and budget
 *    is left: each is admitted when the KV cache can hold its prompt and output (its cached prefix
 *    by reference), starts computing after its cached prefix, and otherwise blocks the queue.
 *
 * Step time comes from the batch's work (profiles.ts: prompt tokens computed and their attention
 * depth, decoding sequences and their context lengths), times a seeded jitter. A prefill's first token comes out at the end of the
 * step that completes it; each later step gives one token per decoding sequence.
 *
 * Unlike vLLM, a sequence reserves its whole output's blocks at admission, so it is never preempted:
 * simpler and deterministic, and the same waiting queue forms when the cache is full.
 *
 * Nothing here reads a wall clock or starts a timer: tests drive `step()` directly, and
 * engine.ts maps the virtual clock onto wall time.
 * @module
 */
import { seededRandom } from "../../random/seeded-random.js";
import { type BlockTable, KvCache } from "./cache.js";
import type { SchedulerObserver } from "./metrics.js";
import { attentionSpan, type EngineProfile, type StepWork, stepMs } from "./profiles.js";
import { BLOCK_TOKENS, blocksFor } from "./tokens.js";

export interface SchedulerSettings {
  profile: EngineProfile;
  kvCacheTokens: number;
  maxNumSeqs: number;
  maxBatchedTokens: number;
  seed: number;
}

/** What one request asks of the engine. */
export interface SequenceSpec {
  promptTokens: number;
  /** Chained hashes of the prompt's full blocks (tokens.ts). */
  blockHashes: readonly number[];
  /** Tokens to generate (at least 1). */
  outputTokens: number;
}

/** Told, at delivery, of each token a sequence generates. */
export interface SequenceListener {
  /** Token `index` (0 = the first) was generated at virtual time `atMs`. */
  onToken(index: number, atMs: number): void;
  /** The last token has been delivered. */
  onFinish(atMs: number): void;
}

type State = "waiting" | "running" | "finished" | "cancelled";

/** One request inside the engine; returned by `submit` to cancel it. */
export class Sequence {
  state: State = "waiting";
  table: BlockTable | undefined;
  /** Prompt tokens whose KV exists (cached or computed). */
  computed = 0;
  generated = 0;
  firstTokenMs: number | undefined;
  constructor(
    readonly id: number,
    readonly spec: SequenceSpec,
    readonly listener: SequenceListener,
    readonly arrivalMs: number,
  ) {}
}

/** One token generated in a step, for delivery to its sequence's listener. */
export interface TokenEvent {
  readonly sequence: Sequence;
  readonly index: number;
  readonly last: boolean;
}

export interface StepReport extends Readonly<StepWork> {
  readonly startMs: number;
  readonly endMs: number;
  readonly events: readonly TokenEvent[];
}

const NO_OBSERVER: SchedulerObserver = {
  admitted() {},
  firstToken() {},
  generated() {},
  finished() {},
};

export class Scheduler {
  readonly cache: KvCache;
  readonly settings: SchedulerSettings;
  /** The virtual clock, in ms. */
  now = 0;
  readonly #running: Sequence[] = [];
  readonly #waiting: Sequence[] = [];
  readonly #random: () => number;
  readonly #observer: SchedulerObserver;
  #nextId = 0;

  constructor(settings: SchedulerSettings, observer: SchedulerObserver = NO_OBSERVER) {
    this.settings = settings;
    this.cache = new KvCache(blocksFor(settings.kvCacheTokens));
    this.#random = seededRandom(settings.seed);
    this.#observer = observer;
  }

  get runningCount(): number {
    return this.#running.length;
  }

  get waitingCount(): number {
    return this.#waiting.length;
  }

  hasWork(): boolean {
    return this.#running.length > 0 || this.#waiting.length > 0;
  }

  /** Most tokens (prompt + output) one sequence may have: what the whole cache holds. */
  get maxSequenceTokens(): number {
    return this.cache.capacityBlocks * BLOCK_TOKENS;
  }

  /** Moves an idle engine's clock forward to `ms` (time passes while nothing runs). */
  advanceIdleTo(ms: number): void {
    if (!this.hasWork()) this.now = Math.max(this.now, ms);
  }

  /** Queues a request that arrived at `arrivalMs` (default: now). Throws if it can never fit. */
  submit(spec: SequenceSpec, listener: SequenceListener, arrivalMs = this.now): Sequence {
    const tokens = spec.promptTokens + spec.outputTokens;
    if (tokens > this.maxSequenceTokens || spec.outputTokens < 1 || spec.promptTokens < 1) {
      throw new RangeError(
        `a sequence of ${tokens} tokens does not fit a KV cache of ${this.maxSequenceTokens}`,
      );
    }
    const sequence = new Sequence(this.#nextId++, spec, listener, arrivalMs);
    this.#waiting.push(sequence);
    return sequence;
  }

  /** Aborts a sequence (the client left): it leaves the queue or the batch and frees its blocks. */
  cancel(sequence: Sequence): void {
    if (sequence.state === "waiting") remove(this.#waiting, sequence);
    else if (sequence.state === "running") this.#retire(sequence);
    else return;
    sequence.state = "cancelled";
  }

  /** Runs one step; undefined when there is nothing to run. Listeners are told at `deliver()`. */
  step(): StepReport | undefined {
    const { profile, maxBatchedTokens } = this.settings;
    let budget = maxBatchedTokens;
    const scheduled: Array<{ sequence: Sequence; tokens: number }> = [];
    const work: StepWork = { prefillTokens: 0, prefillAttention: 0, decodeSeqs: 0, decodeContext: 0 };
    const add = (sequence: Sequence, tokens: number) => {
      if (sequence.computed < sequence.spec.promptTokens) {
        work.prefillTokens += tokens;
        work.prefillAttention += attentionSpan(sequence.computed, tokens);
      } else {
        work.decodeSeqs++;
        work.decodeContext += sequence.spec.promptTokens + sequence.generated;
      }
      budget -= tokens;
      scheduled.push({ sequence, tokens });
    };
    for (const sequence of this.#running) {
      if (budget === 0) break;
      add(sequence, this.#nextChunk(sequence, budget));
    }
    while (budget > 0 && this.#waiting.length > 0 && this.#running.length < this.settings.maxNumSeqs) {
      const sequence = this.#waiting[0]!;
      if (!this.#admit(sequence)) break;
      add(sequence, this.#nextChunk(sequence, budget));
    }
    if (scheduled.length === 0) return undefined;

    const startMs = this.now;
    const jitter = 1 + profile.jitter * (2 * this.#random() - 1);
    this.now += stepMs(profile, work) * jitter;
    const events: TokenEvent[] = [];
    for (const { sequence, tokens } of scheduled) {
      const event = this.#advance(sequence, tokens);
      if (event) events.push(event);
    }
    this.#observer.generated(events.length);
    return { startMs, endMs: this.now, ...work, events };
  }

  /** Tells each event's listener, skipping sequences cancelled since the step. */
  deliver(report: StepReport): void {
    for (const { sequence, index, last } of report.events) {
      if (sequence.state === "cancelled") continue;
      sequence.listener.onToken(index, report.endMs);
      if (last) sequence.listener.onFinish(report.endMs);
    }
  }

  /** Runs steps until nothing is left (tests and benches); returns the steps' reports. */
  drain(limit = 1_000_000): StepReport[] {
    const reports: StepReport[] = [];
    while (reports.length < limit) {
      const report = this.step();
      if (!report) break;
      this.deliver(report);
      reports.push(report);
    }
    return reports;
  }

  #nextChunk(sequence: Sequence, budget: number): number {
    const left = sequence.spec.promptTokens - sequence.computed;
    return left > 0 ? Math.min(left, budget) : 1;
  }

  #admit(sequence: Sequence): boolean {
    const { spec } = sequence;
    const table = this.cache.allocate(spec.blockHashes, blocksFor(spec.promptTokens + spec.outputTokens));
    if (!table) return false;
    this.#waiting.shift();
    this.#running.push(sequence);
    sequence.state = "running";
    sequence.table = table;
    // At least the last prompt token is computed, to have the logits of the first output token.
    const hitTokens = Math.min(table.hitBlocks * BLOCK_TOKENS, spec.promptTokens - 1);
    sequence.computed = hitTokens;
    this.#observer.admitted(spec.promptTokens, hitTokens);
    return true;
  }

  /** Applies a step's work to a sequence; the token it generated, if any. */
  #advance(sequence: Sequence, tokens: number): TokenEvent | undefined {
    const { spec } = sequence;
    if (sequence.computed < spec.promptTokens) {
      sequence.computed += tokens;
      if (sequence.computed < spec.promptTokens) return undefined;
      this.cache.markComputed(sequence.table!);
      sequence.firstTokenMs = this.now;
      this.#observer.firstToken((this.now - sequence.arrivalMs) / 1000);
    }
    const index = sequence.generated++;
    const last = sequence.generated >= spec.outputTokens;
    if (last) {
      this.#retire(sequence);
      sequence.state = "finished";
      this.#observer.finished((this.now - sequence.arrivalMs) / 1000);
    }
    return { sequence, index, last };
  }

  #retire(sequence: Sequence): void {
    remove(this.#running, sequence);
    if (sequence.table) this.cache.release(sequence.table);
    sequence.table = undefined;
  }
}

function remove(list: Sequence[], sequence: Sequence): void {
  const index = list.indexOf(sequence);
  if (index >= 0) list.splice(index, 1);
}
