/**
 * The contract between serve's HTTP layer and the inference engine. `LlamaEngine` (node-llama-cpp) is
 * the implementation; tests may pass a fake one to drive the routes and the queue deterministically.
 *
 * Invariants the HTTP layer relies on:
 * - `generate*` is only called while the caller holds a queue slot, so at most `maxConcurrent` run at
 *   once and each gets a context sequence of its own; the sequence is back in the pool when the promise
 *   settles, whatever happened.
 * - An aborted `signal` stops generation at the next token and resolves with `stop: "abort"` (no throw).
 * - `onPiece` is called in generation order, synchronously from the engine's loop, never after the
 *   promise settled.
 * @module
 */
import type { ChatHistoryItem } from "node-llama-cpp";
import type { ReasoningEffort } from "../reasoning/request-options.js";
import type { ModelType } from "./options.js";
import type { OutputFormat } from "./response-format.js";
import type { Sampling } from "./sampling.js";

/** Which part of a response a piece of text belongs to (node-llama-cpp's segments). */
export type PieceChannel = "final" | "thought" | "comment";

/** A run of generated text. */
export interface GeneratedPiece {
  readonly channel: PieceChannel;
  readonly text: string;
  /** True on the first piece of a new segment (two thoughts in a row are two segments). */
  readonly opens: boolean;
}

/** Why generation ended: `stop` (end of text, stop sequence, grammar done), `length`, or `abort`. */
export type StopReason = "stop" | "length" | "abort";

export interface GenerationOutcome {
  readonly stop: StopReason;
  /** Tokens the model generated (exact, from the sequence's token meter). */
  readonly completionTokens: number;
}

/** Options common to chat and completion generation. */
export interface GenerationJob {
  readonly sampling: Sampling;
  readonly format: OutputFormat;
  readonly signal: AbortSignal;
  readonly onPiece: (piece: GeneratedPiece) => void;
}

/** A rendered chat prompt, ready to generate from. */
export interface PreparedChat {
  readonly promptTokens: number;
}

/** A tokenized completion prompt. */
export interface PreparedCompletion {
  readonly promptTokens: number;
}

export interface EmbeddingResult {
  readonly vectors: readonly (readonly number[])[];
  readonly promptTokens: number;
}

/** What `/health` and the logs say about the loaded model. */
export interface EngineInfo {
  readonly modelFile: string;
  readonly modelType: ModelType;
  /** Tokens per sequence. */
  readonly contextSize: number;
  readonly trainContextSize: number;
  readonly embeddingLength: number;
  /** `false` on CPU, else the GPU backend (`cuda`, `vulkan`, `metal`). */
  readonly gpu: string | false;
  readonly gpuLayers: number;
  readonly threads: number;
  readonly chatWrapper: string;
  readonly sizeBytes: number;
}

export interface ServeEngine {
  readonly info: EngineInfo;
  /** Tokens in `text` (no special-token parsing), for usage figures. */
  countTokens(text: string): number;
  /**
   * Renders the chat template and builds the output grammar, before any slot is taken: `promptTokens`
   * is checked against the context, and a schema the grammar builder refuses is a 400, not a failed slot.
   */
  prepareChat(
    history: readonly ChatHistoryItem[],
    effort: ReasoningEffort | undefined,
    format: OutputFormat,
  ): Promise<PreparedChat>;
  generateChat(prepared: PreparedChat, job: GenerationJob): Promise<GenerationOutcome>;
  /**
   * The tokens of the prompt `prepareChat` renders for `history` (the same chat template and effort),
   * for `/tokenize`: their count is the chat's `prompt_tokens`.
   */
  tokenizeChat(history: readonly ChatHistoryItem[], effort: ReasoningEffort | undefined): readonly number[];
  /** The tokens of a raw prompt as `prepareCompletion` reads it (special tokens parsed). */
  tokenizePrompt(prompt: string): readonly number[];
  /** Tokenizes a raw prompt (special tokens parsed) and builds the output grammar. */
  prepareCompletion(prompt: string | readonly number[], format: OutputFormat): Promise<PreparedCompletion>;
  generateCompletion(prepared: PreparedCompletion, job: GenerationJob): Promise<GenerationOutcome>;
  /** One vector per input; throws a ServeError when the model cannot embed. */
  embed(inputs: readonly (string | readonly number[])[], signal: AbortSignal): Promise<EmbeddingResult>;
  dispose(): Promise<void>;
}
