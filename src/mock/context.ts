/**
 * The state one mock instance owns: its identity, options, fault plan and stats. Routes receive it as an
 * argument (no globals), so several mocks can run in one process, as the tests and benchmarks do.
 * @module
 */
import { randomBytes } from "node:crypto";
import { EngineSim } from "./engine-sim/engine.js";
import { FaultPlan } from "./faults.js";
import { defaultMockId, type MockOptions } from "./options.js";
import type { GenerationRequest } from "./requests.js";
import {
  answerText,
  countPromptTokens,
  plannedTokens,
  planReply,
  type ReplyPlan,
  toolCallFor,
} from "./script.js";
import { MockStats } from "./stats.js";

export class MockContext {
  /** Replaced by the bound port's id once listening when `--id` was not given. */
  id: string;
  readonly options: MockOptions;
  readonly models: ReadonlySet<string>;
  readonly faults: FaultPlan;
  readonly stats = new MockStats();
  /** Unix seconds of start: the `created` of every listed model. */
  readonly startedAt: number;
  readonly fingerprint: string;
  /** The simulated engine every generation runs on (`--engine-sim`); undefined for the plain mock. */
  readonly engine: EngineSim | undefined;
  /** Makes response ids unique across mock instances and restarts. */
  readonly #runTag = randomBytes(4).toString("hex");
  #sequence = 0;

  constructor(options: MockOptions, now = Date.now()) {
    this.options = options;
    this.id = options.id ?? defaultMockId(options.port);
    this.models = new Set(options.models);
    this.faults = new FaultPlan(options, now);
    this.startedAt = Math.floor(now / 1000);
    this.fingerprint = `fp_mock_v${options.version}`;
    this.engine = options.engineSim
      ? new EngineSim({
          profile: options.engineProfile,
          kvCacheTokens: options.kvCacheTokens,
          maxNumSeqs: options.maxNumSeqs,
          maxBatchedTokens: options.maxBatchedTokens,
          timeScale: options.timeScale,
          seed: options.seed,
          modelName: options.models[0]!,
        })
      : undefined;
  }

  /** A fresh response id with the protocol's prefix: `chatcmpl-…`, `cmpl-…`, `msg_…`. */
  nextId(prefix: string): string {
    this.#sequence++;
    return `${prefix}${this.#runTag}${this.#sequence.toString(36).padStart(6, "0")}`;
  }

  /** The reply to a text request, with the current reasoning mode, and its prompt token count. */
  plan(request: GenerationRequest, separateThinking = false): { plan: ReplyPlan; promptTokens: number } {
    const plan = planReply({
      answer: answerText(this.id, this.options.version, request.userText),
      userText: request.userText,
      reasoning: this.faults.settings.reasoning,
      separateThinking,
      maxTokens: request.maxTokens,
    });
    const skip = request.continueAfterTokens ?? 0;
    let continued = skip > 0 ? { ...plan, text: plan.text.slice(skip) } : plan;
    if (request.tool !== undefined) {
      continued = {
        thinking: continued.thinking,
        text: [],
        truncated: false,
        toolCall: toolCallFor(request.tool),
      };
    }
    if (request.ignoreEos && request.maxTokens !== undefined) continued = padTo(continued, request.maxTokens);
    // The simulated engine counts with its own tokenizer, so usage agrees with its /metrics.
    const promptTokens = this.engine
      ? this.engine.promptTokens(request.renderPrompt())
      : countPromptTokens(request.promptTexts);
    return { plan: continued, promptTokens };
  }
}

/**
 * `ignore_eos`: the text goes on, the answer repeated, until `maxTokens` tokens are out, as an
 * engine that ignores its end-of-sequence token does. A tool call is left as it is.
 */
function padTo(plan: ReplyPlan, maxTokens: number): ReplyPlan {
  const missing = maxTokens - plannedTokens(plan);
  if (plan.toolCall || missing <= 0 || plan.text.length === 0) return plan;
  const text = [...plan.text];
  for (let i = 0; i < missing; i++) text.push(plan.text[i % plan.text.length]!);
  return { ...plan, text, truncated: true };
}
