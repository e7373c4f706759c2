/**
 * What each request of a run is: its model (by share), its prompt (synthetic of a sampled length,
 * drawn from the prompt file, or the next request of a shaped workload: agent sessions, chat,
 * hot prefix) and its output length (sampled, capped by `maxTokens`), rendered in the target's
 * protocol. Deterministic for a given seed.
 * @module
 */
import type { RequestSpec } from "../load-types.js";
import { type LengthDistribution, sampleLength } from "./lengths.js";
import { ModelMix, type ModelShare } from "./model-mix.js";
import type { PromptEntry } from "./prompts-file.js";
import { chatRequest } from "./request-body.js";
import { seededRandom, syntheticPrompt } from "./synthetic-prompt.js";
import type { Protocol } from "./token-events.js";
import { createShape, type ShapeOptions } from "./workloads/create-shape.js";
import type { PromptShape, ShapedPrompt, WorkloadName } from "./workloads/shape.js";

/** The header a shaped workload's session id travels in. */
export const SESSION_HEADER = "x-session-id";

export interface WorkloadSpec {
  protocol: Protocol;
  stream: boolean;
  models: readonly ModelShare[];
  promptTokens: LengthDistribution;
  outputTokens: LengthDistribution;
  /** Upper bound on every request's `max_tokens`. */
  maxTokens: number;
  /** Prompts to draw from instead of synthetic ones. */
  prompts?: readonly PromptEntry[] | undefined;
  apiKey?: string | undefined;
  basePath?: string;
  seed: number;
  /** A shaped workload instead of `promptTokens` / `prompts` (default `synthetic`: those). */
  workload?: WorkloadName | undefined;
  shape?: ShapeOptions | undefined;
  /** Closed loop: mean think time (ms) before each worker's request; drawn per worker, seeded. */
  thinkMs?: number | undefined;
}

export interface PlannedRequest {
  index: number;
  model: string;
  maxTokens: number;
  spec: RequestSpec;
}

/**
 * Plans requests in index order. The load run asks for a request and then for its observer with the
 * same index, so the last plan is kept and handed out again rather than drawn twice.
 */
export class Workload {
  readonly #spec: WorkloadSpec;
  readonly #mix: ModelMix;
  readonly #random: () => number;
  readonly #shape: PromptShape | undefined;
  #last: PlannedRequest | undefined;
  readonly #thinkRandoms = new Map<number, () => number>();

  constructor(spec: WorkloadSpec) {
    this.#spec = spec;
    this.#mix = new ModelMix(spec.models);
    this.#random = seededRandom(spec.seed);
    this.#shape = createShape(spec.workload ?? "synthetic", this.#random, spec.shape);
  }

  /** Request `index`; in the closed loop, `worker` names who sends it (a session shape follows it). */
  at(index: number, worker?: number): PlannedRequest {
    if (this.#last?.index === index) return this.#last;
    const spec = this.#spec;
    const model = spec.models[this.#mix.next()]!.model;
    const shape = this.#shape;
    const prompt =
      (worker !== undefined && shape?.nextFor ? shape.nextFor(worker) : shape?.next()) ?? this.#synthetic();
    const maxTokens = Math.max(1, Math.min(prompt.outputTokens, spec.maxTokens));
    const request = chatRequest({
      protocol: spec.protocol,
      model,
      messages: prompt.messages,
      tools: prompt.tools,
      headers: prompt.session === undefined ? undefined : { [SESSION_HEADER]: prompt.session },
      maxTokens,
      stream: spec.stream,
      apiKey: spec.apiKey,
      basePath: spec.basePath ?? "",
    });
    this.#last = { index, model, maxTokens, spec: request };
    return this.#last;
  }

  /**
   * Worker `worker`'s next think time (ms): uniform within ±50 % of the mean, from the worker's own
   * seeded stream, so it does not depend on the order in which answers come back. 0 without a mean.
   */
  thinkTime(worker: number): number {
    const mean = this.#spec.thinkMs ?? 0;
    if (!(mean > 0)) return 0;
    let random = this.#thinkRandoms.get(worker);
    if (random === undefined) {
      random = seededRandom((this.#spec.seed ^ Math.imul(worker + 1, 0x85ebca6b)) >>> 0);
      this.#thinkRandoms.set(worker, random);
    }
    return mean * (0.5 + random());
  }

  /** A prompt from the prompt file, or of `promptTokens` synthetic words. */
  #synthetic(): ShapedPrompt {
    const spec = this.#spec;
    const entry = spec.prompts?.[Math.floor(this.#random() * spec.prompts.length)];
    const messages = entry?.messages ?? [
      { role: "user", content: syntheticPrompt(sampleLength(spec.promptTokens, this.#random), this.#random) },
    ];
    return { messages, outputTokens: entry?.maxTokens ?? sampleLength(spec.outputTokens, this.#random) };
  }
}
