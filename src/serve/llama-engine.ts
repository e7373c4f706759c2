/**
 * The node-llama-cpp engine behind `switchyard serve`: one model, one context with a sequence per queue
 * slot (so concurrent generations are batched together), a chat wrapper picked from the model's
 * metadata and `--model-type`, grammars for JSON output, and a lazily created embedding context.
 *
 * Threads: node-llama-cpp defaults to at least 4 CPU threads, which on a 2-core machine is ~30× slower
 * than 1–2, so `threads` is always passed (to `getLlama` and the context).
 * @module
 */
import {
  type ChatHistoryItem,
  type ChatWrapper,
  getLlama,
  type Llama,
  LlamaChat,
  type LlamaChatResponseChunk,
  LlamaCompletion,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  LlamaLogLevel,
  type LlamaModel,
  LlamaText,
  resolveChatWrapper,
  SpecialTokensText,
  type Token,
} from "node-llama-cpp";
import type { ReasoningEffort } from "../reasoning/request-options.js";
import { chatWrapperFor } from "./chat-wrapper.js";
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
} from "./engine.js";
import { ServeError } from "./errors.js";
import { LruCache } from "./lru.js";
import { DEFAULT_MAX_CONTEXT, type DeviceMap, type ModelType } from "./options.js";
import type { OutputFormat } from "./response-format.js";
import type { Sampling } from "./sampling.js";
import { SequencePool } from "./sequence-pool.js";

/** What loading needs. */
export interface LlamaEngineOptions {
  readonly modelFile: string;
  readonly modelType: ModelType;
  readonly deviceMap: DeviceMap;
  readonly maxConcurrent: number;
  readonly contextSize: number | undefined;
  readonly threads: number;
  /** Where llama.cpp's own log lines go (serve's logger, at debug unless they are errors). */
  readonly log: (level: "debug" | "warn", message: string) => void;
}

class LlamaPreparedChat implements PreparedChat {
  constructor(
    readonly promptTokens: number,
    readonly history: readonly ChatHistoryItem[],
    readonly wrapper: ChatWrapper,
    readonly grammar: LlamaGrammar | undefined,
  ) {}
}

class LlamaPreparedCompletion implements PreparedCompletion {
  constructor(
    readonly tokens: readonly Token[],
    readonly grammar: LlamaGrammar | undefined,
  ) {}

  get promptTokens(): number {
    return this.tokens.length;
  }
}

/** What node-llama-cpp's grammar builder takes; client schemas are plain JSON, checked by it at run time. */
type JsonSchemaInput = Parameters<Llama["createGrammarForJsonSchema"]>[0];

function gpuOption(deviceMap: DeviceMap): "auto" | "cuda" | "vulkan" | "metal" | false {
  if (deviceMap === "cpu") return false;
  // balanced: llama.cpp splits layers over every GPU in proportion to its free memory, as accelerate's does.
  if (deviceMap === "auto" || deviceMap === "gpu" || deviceMap === "balanced") return "auto";
  return deviceMap;
}

function stopReason(reason: string): StopReason {
  if (reason === "maxTokens") return "length";
  if (reason === "abort") return "abort";
  return "stop";
}

/** node-llama-cpp's chunk → a piece; `undefined` for chunks that carry nothing. */
function pieceOf(chunk: LlamaChatResponseChunk): GeneratedPiece | undefined {
  if (chunk.type === "segment") {
    const opens = chunk.segmentStartTime !== undefined;
    if (chunk.text === "" && !opens) return undefined;
    return { channel: chunk.segmentType === "thought" ? "thought" : "comment", text: chunk.text, opens };
  }
  return chunk.text === "" ? undefined : { channel: "final", text: chunk.text, opens: false };
}

/**
 * Ends a chat generation when the context is full instead of shifting it. A request is checked to fit
 * before it runs (see `context-limit.ts`), so the context fills only when a generation without
 * `max_tokens` uses all that is left, or when the chat wrapper re-renders more than was generated
 * (harmony re-opens a message after each `<|end|>`). Erasing the start of the conversation would make
 * the model answer a different question, and node-llama-cpp's own strategy throws when the prompt
 * cannot be shortened (a 500). So the answer ends there, as OpenAI ends it: `finish_reason: "length"`.
 *
 * node-llama-cpp falls back to its own strategy when a custom one throws, so this one aborts the
 * generation through its signal and hands back an empty history, which always fits and is never
 * evaluated: the abort is seen first.
 */
class StopWhenFull {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  readonly contextShift = {
    strategy: () => {
      this.#controller.abort(new Error("the context is full"));
      return { chatHistory: [] };
    },
  };

  constructor(clientSignal: AbortSignal) {
    this.signal = AbortSignal.any([clientSignal, this.#controller.signal]);
  }

  get full(): boolean {
    return this.#controller.signal.aborted;
  }
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (error === signal.reason || (error as Error)?.name === "AbortError");
}

function samplingOptions(sampling: Sampling, maxTokens: number) {
  return {
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: sampling.topK,
    minP: sampling.minP,
    seed: sampling.seed,
    maxTokens,
    repeatPenalty: sampling.repeatPenalty,
    customStopTriggers: sampling.stop.length > 0 ? sampling.stop : undefined,
  };
}

export class LlamaEngine implements ServeEngine {
  readonly info: EngineInfo;
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #pool: SequencePool<LlamaContextSequence>;
  readonly #resolvedWrapper: ChatWrapper;
  readonly #modelType: ModelType;
  readonly #threads: number;
  readonly #grammars: LruCache<string, Promise<LlamaGrammar>> = new LruCache(64);
  #embedding: Promise<LlamaEmbeddingContext> | undefined;

  private constructor(llama: Llama, model: LlamaModel, context: LlamaContext, options: LlamaEngineOptions) {
    this.#llama = llama;
    this.#model = model;
    this.#modelType = options.modelType;
    this.#threads = options.threads;
    const sequences = Array.from({ length: options.maxConcurrent }, () => context.getSequence());
    this.#pool = new SequencePool(sequences);
    this.#resolvedWrapper = resolveChatWrapper(model);
    this.info = {
      modelFile: options.modelFile,
      modelType: options.modelType,
      contextSize: context.contextSize,
      trainContextSize: model.trainContextSize,
      embeddingLength: model.embeddingVectorSize,
      gpu: llama.gpu,
      gpuLayers: model.gpuLayers,
      threads: options.threads,
      chatWrapper: chatWrapperFor(options.modelType, undefined, this.#resolvedWrapper).wrapperName,
      sizeBytes: model.size,
    };
  }

  /** Loads the model and creates the context; throws a readable error when the device or file fails. */
  static async load(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const llama = await getLlama({
      gpu: gpuOption(options.deviceMap),
      // Never clone and compile llama.cpp at run time: a prebuilt (or earlier local) binary or an error.
      build: "never",
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const severe = level === LlamaLogLevel.error || level === LlamaLogLevel.fatal;
        options.log(severe ? "warn" : "debug", message.trimEnd());
      },
    });
    try {
      if (options.deviceMap !== "auto" && options.deviceMap !== "cpu" && llama.gpu === false) {
        throw new Error(`--device-map ${options.deviceMap}: no GPU backend is available on this machine`);
      }
      const gpuLayers = options.deviceMap === "cpu" ? 0 : options.deviceMap === "auto" ? "auto" : "max";
      const model = await llama.loadModel({ modelPath: options.modelFile, gpuLayers });
      const contextSize =
        options.contextSize ?? ({ max: Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT) } as const);
      const context = await model.createContext({
        sequences: options.maxConcurrent,
        contextSize,
        threads: options.threads,
      });
      return new LlamaEngine(llama, model, context, options);
    } catch (error) {
      await llama.dispose();
      throw error;
    }
  }

  countTokens(text: string): number {
    return text === "" ? 0 : this.#model.tokenize(text).length;
  }

  async prepareChat(
    history: readonly ChatHistoryItem[],
    effort: ReasoningEffort | undefined,
    format: OutputFormat,
  ): Promise<PreparedChat> {
    const { wrapper, tokens } = this.#renderChat(history, effort);
    return new LlamaPreparedChat(tokens.length, history, wrapper, await this.#grammarFor(format));
  }

  tokenizeChat(history: readonly ChatHistoryItem[], effort: ReasoningEffort | undefined): readonly Token[] {
    return this.#renderChat(history, effort).tokens;
  }

  tokenizePrompt(prompt: string): readonly Token[] {
    return LlamaText(new SpecialTokensText(prompt)).tokenize(this.#model.tokenizer);
  }

  async generateChat(prepared: PreparedChat, job: GenerationJob): Promise<GenerationOutcome> {
    if (!(prepared instanceof LlamaPreparedChat))
      throw new Error("generateChat: not prepared by this engine");
    return this.#pool.with(async (sequence) => {
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: prepared.wrapper });
      const before = sequence.tokenMeter.getState();
      const generated = () => sequence.tokenMeter.diff(before).usedOutputTokens;
      const limit = new StopWhenFull(job.signal);
      try {
        const maxTokens =
          job.sampling.maxTokens ?? Math.max(1, this.info.contextSize - prepared.promptTokens);
        const response = await chat.generateResponse([...prepared.history], {
          ...samplingOptions(job.sampling, maxTokens),
          grammar: prepared.grammar,
          signal: limit.signal,
          stopOnAbortSignal: true,
          contextShift: limit.contextShift,
          onResponseChunk: (chunk) => {
            const piece = pieceOf(chunk);
            if (piece !== undefined) job.onPiece(piece);
          },
        });
        const full = limit.full && !job.signal.aborted;
        const stop = full ? "length" : stopReason(response.metadata.stopReason);
        return { stop, completionTokens: generated() };
      } catch (error) {
        if (isAbort(error, job.signal)) return { stop: "abort", completionTokens: generated() };
        if (limit.full) return { stop: "length", completionTokens: generated() };
        throw error;
      } finally {
        // Keep the sequence (and its KV cache) for the next request; drop only this chat's listeners.
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  async prepareCompletion(
    prompt: string | readonly number[],
    format: OutputFormat,
  ): Promise<PreparedCompletion> {
    // Special tokens in a raw prompt are parsed, as llama.cpp's server does: completion clients send
    // already-templated prompts.
    const tokens = typeof prompt === "string" ? this.tokenizePrompt(prompt) : (prompt as readonly Token[]);
    return new LlamaPreparedCompletion(tokens, await this.#grammarFor(format));
  }

  async generateCompletion(prepared: PreparedCompletion, job: GenerationJob): Promise<GenerationOutcome> {
    if (!(prepared instanceof LlamaPreparedCompletion)) {
      throw new Error("generateCompletion: not prepared by this engine");
    }
    return this.#pool.with(async (sequence) => {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const before = sequence.tokenMeter.getState();
      const generated = () => sequence.tokenMeter.diff(before).usedOutputTokens;
      try {
        const maxTokens =
          job.sampling.maxTokens ?? Math.max(1, this.info.contextSize - prepared.promptTokens);
        const response = await completion.generateCompletionWithMeta([...prepared.tokens], {
          ...samplingOptions(job.sampling, maxTokens),
          grammar: prepared.grammar,
          signal: job.signal,
          stopOnAbortSignal: true,
          onTextChunk: (text) => {
            if (text !== "") job.onPiece({ channel: "final", text, opens: false });
          },
        });
        return { stop: stopReason(response.metadata.stopReason), completionTokens: generated() };
      } catch (error) {
        if (isAbort(error, job.signal)) return { stop: "abort", completionTokens: generated() };
        throw error;
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  async embed(
    inputs: readonly (string | readonly number[])[],
    signal: AbortSignal,
  ): Promise<EmbeddingResult> {
    const context = await this.#embeddingContext();
    const vectors: (readonly number[])[] = [];
    let promptTokens = 0;
    for (const [index, input] of inputs.entries()) {
      signal.throwIfAborted();
      const tokens = typeof input === "string" ? this.#model.tokenize(input) : (input as readonly Token[]);
      if (tokens.length > this.info.contextSize) {
        throw new ServeError(
          "SWY_ERR_SERVE_CONTEXT_LENGTH",
          `Input ${index} has ${tokens.length} tokens; this model embeds at most ${this.info.contextSize}.`,
          { param: "input" },
        );
      }
      promptTokens += tokens.length;
      const embedding = await context.getEmbeddingFor([...tokens]);
      vectors.push(embedding.vector);
    }
    return { vectors, promptTokens };
  }

  async dispose(): Promise<void> {
    await this.#llama.dispose();
  }

  #embeddingContext(): Promise<LlamaEmbeddingContext> {
    this.#embedding ??= this.#model
      .createEmbeddingContext({ contextSize: this.info.contextSize, threads: this.#threads })
      .catch((error: unknown) => {
        this.#embedding = undefined;
        throw new ServeError(
          "SWY_ERR_SERVE_UNSUPPORTED",
          `This model cannot produce embeddings: ${(error as Error).message}`,
          { cause: error },
        );
      });
    return this.#embedding;
  }

  /** The chat template applied to `history`, and the prompt's tokens. */
  #renderChat(
    history: readonly ChatHistoryItem[],
    effort: ReasoningEffort | undefined,
  ): { wrapper: ChatWrapper; tokens: readonly Token[] } {
    const wrapper = chatWrapperFor(this.#modelType, effort, this.#resolvedWrapper);
    const state = wrapper.generateContextState({ chatHistory: [...history] });
    return { wrapper, tokens: state.contextText.tokenize(this.#model.tokenizer) };
  }

  #grammarFor(format: OutputFormat): Promise<LlamaGrammar | undefined> {
    if (format.kind === "text") return Promise.resolve(undefined);
    const key = format.kind === "json_object" ? "json" : format.key;
    let grammar = this.#grammars.get(key);
    if (grammar === undefined) {
      grammar =
        format.kind === "json_object"
          ? this.#llama.getGrammarFor("json")
          : this.#llama.createGrammarForJsonSchema(format.schema as unknown as JsonSchemaInput);
      this.#grammars.set(key, grammar);
    }
    return grammar.catch((error: unknown) => {
      this.#grammars.set(key, Promise.reject(error));
      throw new ServeError(
        "SWY_ERR_SERVE_UNSUPPORTED",
        `Cannot build a grammar for this JSON schema: ${(error as Error).message}`,
        { param: "response_format.json_schema.schema", cause: error },
      );
    });
  }
}
