/**
 * A simulated engine in real time: the scheduler's virtual clock mapped onto the wall clock through
 * `timeScale` (virtual ms = wall ms × timeScale), its metrics, and the submit/cancel API the mock's
 * routes use. Each step's tokens are delivered when the wall clock reaches the step's end; steps that
 * fall due within the same millisecond (high time scales) run back to back in one tick.
 *
 * When the engine is idle its clock follows the wall clock, so a request's arrival is stamped with
 * the virtual time it really arrived at; when it is busy, steps follow each other on the virtual
 * clock alone, so a slow host delays delivery but never changes the simulated figures.
 * @module
 */
import { EngineMetrics } from "./metrics.js";
import { DEFAULT_ENGINE_PROFILE, ENGINE_PROFILES, type EngineProfileName } from "./profiles.js";
import {
  Scheduler,
  type Sequence,
  type SequenceListener,
  type SequenceSpec,
  type StepReport,
} from "./scheduler.js";
import { BLOCK_TOKENS, blockHashes, blocksFor, CHARS_PER_TOKEN, simTokenCount } from "./tokens.js";

export interface EngineSimOptions {
  profile?: EngineProfileName;
  /** Overrides of the profile's capacities. */
  kvCacheTokens?: number | undefined;
  maxNumSeqs?: number | undefined;
  maxBatchedTokens?: number | undefined;
  /** Simulated seconds per wall second (10 = ten times faster than the real engine). */
  timeScale?: number;
  seed?: number;
  /** The `model_name` label of the metrics (vLLM's served model name). */
  modelName: string;
}

/** A request as the engine sees it: its rendered prompt and how many tokens to generate. */
export interface EngineRequest {
  prompt: string;
  outputTokens: number;
  /** The reply as the conversation's next turn renders it after `prompt`, so its blocks get cached. */
  continuation?: string | undefined;
}

/** Steps run back to back in one tick at most, so a busy engine still lets I/O through. */
const STEPS_PER_TICK = 64;

export class EngineSim {
  readonly scheduler: Scheduler;
  readonly metrics: EngineMetrics;
  readonly timeScale: number;
  readonly #wallNow: () => number;
  readonly #wallStart: number;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #closed = false;

  constructor(options: EngineSimOptions, wallNow: () => number = () => performance.now()) {
    const profile = ENGINE_PROFILES[options.profile ?? DEFAULT_ENGINE_PROFILE];
    const kvCacheTokens = options.kvCacheTokens ?? profile.kvCacheTokens;
    this.metrics = new EngineMetrics(options.modelName, {
      blockSize: BLOCK_TOKENS,
      numGpuBlocks: blocksFor(kvCacheTokens),
    });
    this.scheduler = new Scheduler(
      {
        profile,
        kvCacheTokens,
        maxNumSeqs: options.maxNumSeqs ?? profile.maxNumSeqs,
        maxBatchedTokens: options.maxBatchedTokens ?? profile.maxBatchedTokens,
        seed: options.seed ?? 1,
      },
      this.metrics,
    );
    this.timeScale = options.timeScale ?? 1;
    this.#wallNow = wallNow;
    this.#wallStart = wallNow();
  }

  /** Prompt tokens the engine counts for `prompt` (its tokenizer approximation). */
  promptTokens(prompt: string): number {
    return simTokenCount(prompt);
  }

  /** Whether a request of these sizes can ever run (it must fit the whole KV cache). */
  fits(promptTokens: number, outputTokens: number): boolean {
    return promptTokens + outputTokens <= this.scheduler.maxSequenceTokens;
  }

  /** Queues a request; the listener hears each token in wall time. Check `fits` first. */
  submit(request: EngineRequest, listener: SequenceListener): Sequence {
    const virtualNow = this.#virtualWallNow();
    this.scheduler.advanceIdleTo(virtualNow);
    const spec = specOf(request);
    const sequence = this.scheduler.submit(spec, listener, Math.min(virtualNow, this.scheduler.now));
    this.#wake();
    return sequence;
  }

  cancel(sequence: Sequence): void {
    this.scheduler.cancel(sequence);
  }

  /** vLLM's `/metrics` text, gauges as of now. */
  metricsText(): string {
    return this.metrics.render({
      running: this.scheduler.runningCount,
      waiting: this.scheduler.waitingCount,
      kvCacheUsage: this.scheduler.cache.usage(),
    });
  }

  /** Stops stepping; queued and running requests are never answered (the server is closing). */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  #virtualWallNow(): number {
    return (this.#wallNow() - this.#wallStart) * this.timeScale;
  }

  #wake(): void {
    if (this.#timer !== undefined || this.#closed) return;
    // setImmediate: requests arriving in the same tick join the same first step.
    this.#timer = setImmediate(() => this.#run());
  }

  #run(): void {
    this.#timer = undefined;
    for (let steps = 0; steps < STEPS_PER_TICK && !this.#closed; steps++) {
      const report = this.scheduler.step();
      if (!report) return;
      const dueInMs = report.endMs / this.timeScale - (this.#wallNow() - this.#wallStart);
      if (dueInMs >= 1) {
        this.#timer = setTimeout(() => this.#deliverThenRun(report), dueInMs);
        return;
      }
      this.scheduler.deliver(report);
    }
    if (this.scheduler.hasWork()) this.#wake();
  }

  #deliverThenRun(report: StepReport): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.scheduler.deliver(report);
    this.#run();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }
}

/** The scheduler's view of a request: one pass of hashing over the prompt and its continuation. */
function specOf(request: EngineRequest): SequenceSpec {
  const promptTokens = simTokenCount(request.prompt);
  const outputTokens = Math.max(1, request.outputTokens);
  if (!request.continuation) return { promptTokens, blockHashes: blockHashes(request.prompt), outputTokens };
  // Chained hashes of a prefix are the same whatever follows it: the prompt's are the first ones.
  const hashes = blockHashes(request.prompt + request.continuation);
  const promptBlocks = Math.floor(request.prompt.length / (CHARS_PER_TOKEN * BLOCK_TOKENS));
  return {
    promptTokens,
    blockHashes: hashes.slice(0, promptBlocks),
    outputTokens,
    outputBlockHashes: hashes.slice(promptBlocks),
  };
}
