/**
 * The state one mock instance owns: its identity, options, fault plan and stats. Routes receive it as an
 * argument (no globals), so several mocks can run in one process, as the tests and benchmarks do.
 * @module
 */
import { randomBytes } from "node:crypto";
import { FaultPlan } from "./faults.js";
import { defaultMockId, type MockOptions } from "./options.js";
import type { GenerationRequest } from "./requests.js";
import { answerText, countPromptTokens, planReply, type ReplyPlan, toolCallFor } from "./script.js";
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
    return { plan: continued, promptTokens: countPromptTokens(request.promptTexts) };
  }
}
