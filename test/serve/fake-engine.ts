/**
 * A scripted {@link ServeEngine} for route tests: each generation plays the next script (pieces, then a
 * stop reason) and can be held open on a gate, so queue and abort behaviour is tested without timing.
 */
import type { ChatHistoryItem } from "node-llama-cpp";
import type {
  EmbeddingResult,
  EngineInfo,
  GeneratedPiece,
  GenerationJob,
  GenerationOutcome,
  PreparedChat,
  PreparedCompletion,
  ServeEngine,
  StopReason,
} from "../../src/serve/engine.js";
import type { ModelType } from "../../src/serve/options.js";

export interface Script {
  readonly pieces: readonly GeneratedPiece[];
  readonly stop?: Exclude<StopReason, "abort">;
  /** Thrown after the pieces, as a failing engine would. */
  readonly error?: Error;
}

export const final = (text: string): GeneratedPiece => ({ channel: "final", text, opens: false });
export const thought = (text: string, opens = false): GeneratedPiece => ({ channel: "thought", text, opens });
export const comment = (text: string, opens = false): GeneratedPiece => ({ channel: "comment", text, opens });

export class FakeEngine implements ServeEngine {
  readonly info: EngineInfo;
  /** Played in order; the last one repeats. */
  scripts: Script[] = [{ pieces: [final("Hello")] }];
  /** When set, a generation waits for it (or for its abort) before playing its script. */
  gate: Promise<void> | undefined;
  /** Every job the engine ran, for assertions. */
  readonly jobs: GenerationJob[] = [];
  histories: (readonly ChatHistoryItem[])[] = [];
  promptTokens = 10;

  constructor(modelType: ModelType = "generic", contextSize = 4096) {
    this.info = {
      modelFile: "/models/fake.gguf",
      modelType,
      contextSize,
      trainContextSize: contextSize,
      embeddingLength: 4,
      gpu: false,
      gpuLayers: 0,
      threads: 1,
      chatWrapper: "Fake",
      sizeBytes: 1,
    };
  }

  countTokens(text: string): number {
    return text.length;
  }

  async prepareChat(history: readonly ChatHistoryItem[]): Promise<PreparedChat> {
    this.histories.push(history);
    return { promptTokens: this.promptTokens };
  }

  generateChat(_prepared: PreparedChat, job: GenerationJob): Promise<GenerationOutcome> {
    return this.#play(job);
  }

  /** As many tokens as `promptTokens`, numbered from 1. */
  tokenizeChat(history: readonly ChatHistoryItem[]): readonly number[] {
    this.histories.push(history);
    return Array.from({ length: this.promptTokens }, (_, index) => index + 1);
  }

  /** One token per character: its code. */
  tokenizePrompt(prompt: string): readonly number[] {
    return Array.from(prompt, (char) => char.codePointAt(0)!);
  }

  async prepareCompletion(): Promise<PreparedCompletion> {
    return { promptTokens: this.promptTokens };
  }

  generateCompletion(_prepared: PreparedCompletion, job: GenerationJob): Promise<GenerationOutcome> {
    return this.#play(job);
  }

  async embed(inputs: readonly (string | readonly number[])[]): Promise<EmbeddingResult> {
    return { vectors: inputs.map(() => [0.5, -0.25, 0, 1]), promptTokens: inputs.length };
  }

  async dispose(): Promise<void> {}

  async #play(job: GenerationJob): Promise<GenerationOutcome> {
    const script = this.scripts.length > 1 ? this.scripts.shift()! : this.scripts[0]!;
    this.jobs.push(job);
    if (this.gate !== undefined) {
      const aborted = new Promise<void>((resolve) => job.signal.addEventListener("abort", () => resolve()));
      await Promise.race([this.gate, aborted]);
    }
    if (job.signal.aborted) return { stop: "abort", completionTokens: 0 };
    for (const piece of script.pieces) job.onPiece(piece);
    if (script.error !== undefined) throw script.error;
    return { stop: script.stop ?? "stop", completionTokens: script.pieces.length };
  }
}
