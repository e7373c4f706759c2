/**
 * Reasoning separation applied to OpenAI chat responses, still pure: {@link separateChatCompletion}
 * rewrites a whole `chat.completion`, {@link ChatChunkSeparator} rewrites a stream of
 * `chat.completion.chunk` objects. Both give `message.content` the answer only and put the reasoning in
 * `reasoning_content`, the field OpenAI-compatible clients read; concatenating a stream's deltas gives
 * what the whole-response function gives for the assembled message.
 *
 * A choice whose message (or delta) already carries `reasoning_content` or `reasoning` was split by the
 * server (vLLM and SGLang reasoning parsers, `switchyard serve`): its text is not parsed again, but it is
 * given the same shape as a separated one, so a client sees one answer shape whoever split the
 * reasoning: `reasoning_content` (also when the server named it `reasoning`), the model-server workflow's
 * `thinking` and `channels` with `separateThinking`, and the usage fields. A server's reasoning is one
 * text, so all of it counts as `analysis`.
 * @module
 */
import { HARMONY_CHANNELS, type HarmonyChannel } from "./harmony-channels.js";
import type {
  ChatChoice,
  ChatChunkChoice,
  ChatCompletion,
  ChatCompletionChunk,
  ChatDelta,
  ChatMessage,
  ChatUsage,
} from "./openai-shapes.js";
import type { SeparateOptions } from "./reasoning-format.js";
import type { ReasoningEffort } from "./request-options.js";
import { formatRawThinking, separate } from "./separate.js";
import { type ReasoningDelta, StreamSeparator } from "./separate-stream.js";
import { type ChannelCounts, emptyCounts, shareReportedReasoning, shareTokens } from "./usage-estimate.js";

export type * from "./openai-shapes.js";

/** How to separate a response: the backend's model type and the request's reasoning fields. */
export interface ResponseSeparationOptions extends SeparateOptions {
  /** The backend's model type (`gpt-oss`, `qwen3`, `deepseek-r1`, `generic`…). */
  readonly modelType: string;
  /** `separate_thinking`: add `message.thinking`, `message.channels`, `usage.channel_tokens`. */
  readonly separateThinking?: boolean;
  /** `include_channels`: which channels `message.channels` keeps. Default all. */
  readonly includeChannels?: readonly HarmonyChannel[];
  /** The top-level `reasoning_level`, set when given. */
  readonly reasoningLevel?: ReasoningEffort;
  /** Exact token counts per channel; without it usage is shared out by characters (an estimate). */
  readonly countTokens?: (text: string) => number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function serverSplit(message: ChatMessage | ChatDelta): boolean {
  return typeof message.reasoning_content === "string" || typeof message.reasoning === "string";
}

/** The reasoning a server split off, under either of the names servers use. */
function serverReasoning(message: ChatMessage | ChatDelta): string {
  if (typeof message.reasoning_content === "string") return message.reasoning_content;
  return typeof message.reasoning === "string" ? message.reasoning : "";
}

/** The reasoning tokens a backend counted itself (vLLM, serve and OpenAI report them this way). */
function reportedReasoningTokens(usage: ChatUsage): number | undefined {
  const reported = usage.completion_tokens_details?.reasoning_tokens;
  return typeof reported === "number" && Number.isFinite(reported) ? reported : undefined;
}

/**
 * Per-channel tokens from `completion_tokens` when no tokenizer is at hand. A backend's own reasoning
 * count is exact, so it is used when the backend split every reasoning text itself (a backend that
 * never saw the `<think>` the gateway found may well report 0); otherwise characters decide.
 */
function channelTokens(
  usage: ChatUsage,
  chars: ChannelCounts,
  serverSplitOnly: boolean,
): ChannelCounts | undefined {
  if (typeof usage.completion_tokens !== "number") return undefined;
  const reported = reportedReasoningTokens(usage);
  if (serverSplitOnly && reported !== undefined) {
    return shareReportedReasoning(usage.completion_tokens, reported, chars);
  }
  return shareTokens(usage.completion_tokens, chars);
}

function pickChannels(channels: Record<HarmonyChannel, string>, include: readonly HarmonyChannel[]) {
  const picked: Partial<Record<HarmonyChannel, string>> = {};
  for (const channel of HARMONY_CHANNELS) if (include.includes(channel)) picked[channel] = channels[channel];
  return picked;
}

/** Usage with the reasoning extension fields added from per-channel token counts. */
function withReasoningUsage(usage: ChatUsage, tokens: ChannelCounts, separateThinking: boolean): ChatUsage {
  const thinking = tokens.analysis + tokens.commentary;
  const next: ChatUsage = { ...usage, thinking_tokens: thinking };
  if (separateThinking) next.channel_tokens = tokens;
  const details = usage.completion_tokens_details;
  if (typeof details?.reasoning_tokens !== "number") {
    next.completion_tokens_details = { ...(details ?? {}), reasoning_tokens: thinking };
  }
  return next;
}

/** A message the server split: shaped like a separated one, its texts taken as they are. */
function serverSplitMessage(
  message: ChatMessage,
  options: ResponseSeparationOptions,
): { message: ChatMessage; channels: Record<HarmonyChannel, string> } {
  const reasoning = serverReasoning(message);
  const content = typeof message.content === "string" ? message.content : "";
  const channels = { analysis: reasoning, commentary: "", final: content };
  const rewritten: ChatMessage = { ...message, reasoning_content: reasoning };
  if (options.separateThinking === true) {
    // A server that already gave the workflow's fields (a serve asked directly) knows best.
    if (rewritten.thinking === undefined && reasoning !== "") {
      rewritten.thinking = { analysis: reasoning, commentary: "", raw: formatRawThinking(reasoning, "") };
    }
    rewritten.channels ??= pickChannels(channels, options.includeChannels ?? HARMONY_CHANNELS);
  }
  return { message: rewritten, channels };
}

/** One choice's rewritten message (undefined: left alone) and its text per channel, for usage. */
function separateMessage(
  message: ChatMessage,
  options: ResponseSeparationOptions,
): { message: ChatMessage | undefined; channels: Partial<Record<HarmonyChannel, string | null>> } {
  if (serverSplit(message)) return serverSplitMessage(message, options);
  if (typeof message.content !== "string") return { message: undefined, channels: {} };
  const result = separate(message.content, options.modelType, options);
  const rewritten: ChatMessage = { ...message, content: result.content };
  if (result.reasoningContent !== undefined) rewritten.reasoning_content = result.reasoningContent;
  if (options.separateThinking === true) {
    if (result.thinking !== undefined) rewritten.thinking = result.thinking;
    rewritten.channels = pickChannels(result.channels, options.includeChannels ?? HARMONY_CHANNELS);
  }
  return { message: rewritten, channels: result.channels };
}

/**
 * A copy of a `chat.completion` with each choice's reasoning separated from its answer; the input is
 * not changed. `usage.thinking_tokens` (and `channel_tokens` with `separateThinking`) are exact with
 * `countTokens`, otherwise `completion_tokens` shared out by characters (see `usage-estimate.ts`).
 * Usage is left as it was when no choice was separated.
 */
export function separateChatCompletion(
  completion: ChatCompletion,
  options: ResponseSeparationOptions,
): ChatCompletion {
  if (!isRecord(completion)) return completion;
  const next: ChatCompletion = { ...completion };
  if (options.reasoningLevel !== undefined) next.reasoning_level = options.reasoningLevel;
  if (!Array.isArray(completion.choices)) return next;
  const measure = options.countTokens ?? ((text: string) => text.length);
  const counts = emptyCounts();
  let separated = false;
  let gatewaySplit = false;
  next.choices = completion.choices.map((choice: ChatChoice) => {
    // A malformed choice (null, a string) is passed on as the backend sent it.
    if (!isRecord(choice) || !isRecord(choice.message)) return choice;
    if (!serverSplit(choice.message) && typeof choice.message.content === "string") gatewaySplit = true;
    const { message, channels } = separateMessage(choice.message, options);
    for (const channel of HARMONY_CHANNELS) {
      const text = channels[channel];
      if (typeof text === "string" && text !== "") counts[channel] += measure(text);
    }
    if (message === undefined) return choice;
    separated = true;
    return { ...choice, message };
  });
  const usage = completion.usage;
  if (!separated || !isRecord(usage)) return next;
  const tokens = options.countTokens !== undefined ? counts : channelTokens(usage, counts, !gatewaySplit);
  if (tokens !== undefined) next.usage = withReasoningUsage(usage, tokens, options.separateThinking === true);
  return next;
}

/** A chunk's fields but its choices and usage, which every piece made from it shares. */
function topFields(chunk: ChatCompletionChunk): Omit<ChatCompletionChunk, "choices" | "usage"> {
  const { choices: _choices, usage: _usage, ...top } = chunk;
  return top;
}

/** A run of deltas of one kind, as one chunk field. */
interface Run {
  readonly field: "content" | "reasoning_content";
  readonly text: string;
}

/**
 * Rewrites one streamed chat completion. Create one per response; feed every parsed chunk to
 * `transform` in order and call `flush` once at the end of the stream (before `[DONE]`).
 *
 * Per choice index it keeps a {@link StreamSeparator}. A chunk becomes zero or more chunks with the same
 * top-level fields: one per run of answer or reasoning text, in stream order (a delta never mixes both,
 * so clients cannot misorder them). Other delta fields (`role`, `tool_calls`…) ride on the first piece.
 * Zero chunks come out when all the new text is held back (a possible tag start). A chunk with a
 * `finish_reason` first flushes its choice's held text, so the finish reason stays on that choice's last
 * chunk. Chunks without choices (the `usage` chunk) pass through; their usage gains
 * `thinking_tokens` (and `channel_tokens` with `separateThinking`), estimated by characters unless the
 * server split the reasoning and counted it. Deltas of a choice the server splits pass through.
 */
export class ChatChunkSeparator {
  readonly #options: ResponseSeparationOptions;
  /** Per choice index; `undefined` marks a choice the server splits itself (passed through). */
  readonly #streams = new Map<number, StreamSeparator | undefined>();
  /** The last chunk transformed: the held-back text flushed at the end goes out under its fields. */
  #last: ChatCompletionChunk | undefined;
  readonly #chars = emptyCounts();
  /** Content went through a {@link StreamSeparator}. */
  #separated = false;
  /** Content that was not empty did. */
  #gatewayText = false;
  /** A choice came already split by the server. */
  #serverSplit = false;

  constructor(options: ResponseSeparationOptions) {
    this.#options = options;
  }

  /** The chunks to send for one upstream chunk (possibly none). */
  transform(chunk: ChatCompletionChunk): ChatCompletionChunk[] {
    const { choices, usage } = chunk;
    this.#last = chunk;
    const finalUsage = isRecord(usage) ? this.#usage(usage) : usage;
    if (!Array.isArray(choices) || choices.length === 0) {
      return [usage === undefined ? { ...chunk } : { ...chunk, usage: finalUsage }];
    }
    const pieces = choices.map((choice) => this.#pieces(choice));
    // The usual token chunk: nothing held back or split off, so the chunk goes on as it came.
    if (finalUsage === usage && pieces.every((list, at) => list.length === 1 && list[0] === choices[at])) {
      return [chunk];
    }
    const top = topFields(chunk);
    const count = Math.max(...pieces.map((list) => list.length));
    if (count === 0) return isRecord(usage) ? [{ ...top, choices: [], usage: finalUsage }] : [];
    const out: ChatCompletionChunk[] = [];
    for (let at = 0; at < count; at++) {
      const piece: ChatCompletionChunk = {
        ...top,
        choices: pieces.flatMap((list) => list.slice(at, at + 1)),
      };
      // Usage belongs to the last piece only; the others keep the key the way OpenAI sends it (null).
      if (usage !== undefined) piece.usage = at === count - 1 ? finalUsage : null;
      out.push(piece);
    }
    return out;
  }

  /** End of stream: chunks carrying whatever is still held back (for choices that never finished). */
  flush(): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    const template = this.#last === undefined ? undefined : topFields(this.#last);
    for (const [index, stream] of this.#streams) {
      if (stream === undefined || template === undefined) continue;
      for (const run of this.#runs(stream.end())) {
        out.push({
          ...template,
          choices: [{ index, delta: { [run.field]: run.text }, finish_reason: null }],
        });
      }
    }
    this.#streams.clear();
    return out;
  }

  #pieces(choice: ChatChunkChoice): ChatChunkChoice[] {
    if (!isRecord(choice)) return [choice];
    const index = typeof choice.index === "number" ? choice.index : 0;
    const delta: ChatDelta = isRecord(choice.delta) ? choice.delta : {};
    let stream = this.#streams.has(index) ? this.#streams.get(index) : this.#newStream(index);
    let flushed: ReasoningDelta[] = [];
    if (stream !== undefined && serverSplit(delta)) {
      flushed = stream.end();
      stream = undefined;
      this.#streams.set(index, undefined);
    }
    if (stream === undefined) {
      return [
        ...this.#runs(flushed).map((run) => this.#piece(index, run)),
        this.#serverSplitPiece(choice, delta),
      ];
    }
    const text = typeof delta.content === "string" ? delta.content : undefined;
    if (text !== undefined) this.#separated = true;
    // The empty content of a role chunk is no sign of who splits the reasoning.
    if (text !== undefined && text !== "") this.#gatewayText = true;
    const deltas = text === undefined ? [] : stream.push(text);
    const finishing = choice.finish_reason !== undefined && choice.finish_reason !== null;
    if (finishing) {
      deltas.push(...stream.end());
      this.#streams.delete(index);
    }
    const runs = this.#runs(deltas);
    if (runs.length === 1 && runs[0]!.field === "content" && runs[0]!.text === text) return [choice];
    const { content: _content, ...others } = delta;
    if (runs.length === 0) {
      if (text === undefined || text === "") return [choice];
      const meaningful = Object.keys(others).length > 0 || finishing || (choice.logprobs ?? null) !== null;
      return meaningful ? [{ ...choice, delta: others }] : [];
    }
    return runs.map((run, at) => {
      const piece: ChatChunkChoice = {
        ...choice,
        delta: { ...(at === 0 ? others : {}), [run.field]: run.text },
      };
      if (at < runs.length - 1) piece.finish_reason = null;
      if (at > 0 && "logprobs" in choice) piece.logprobs = null;
      return piece;
    });
  }

  /**
   * A delta of a choice the server splits, passed on as it came, counted for usage; reasoning named
   * `reasoning` is also given as `reasoning_content`, the name the rest of the stream uses.
   */
  #serverSplitPiece(choice: ChatChunkChoice, delta: ChatDelta): ChatChunkChoice {
    this.#serverSplit = true;
    const reasoning = serverReasoning(delta);
    this.#chars.analysis += reasoning.length;
    if (typeof delta.content === "string") this.#chars.final += delta.content.length;
    if (typeof delta.reasoning_content === "string" || typeof delta.reasoning !== "string") return choice;
    return { ...choice, delta: { ...delta, reasoning_content: delta.reasoning } };
  }

  #newStream(index: number): StreamSeparator {
    const stream = new StreamSeparator(this.#options.modelType, this.#options);
    this.#streams.set(index, stream);
    return stream;
  }

  #piece(index: number, run: Run): ChatChunkChoice {
    return { index, delta: { [run.field]: run.text }, finish_reason: null };
  }

  /**
   * Merges deltas into runs by kind, counting characters per channel for the usage estimate (segment
   * separators, which have no channel, are not counted).
   */
  #runs(deltas: readonly ReasoningDelta[]): Run[] {
    const runs: Run[] = [];
    for (const delta of deltas) {
      if (delta.channel !== undefined) this.#chars[delta.channel] += delta.text.length;
      const field = delta.kind === "content" ? "content" : "reasoning_content";
      const last = runs.at(-1);
      if (last?.field === field) runs[runs.length - 1] = { field, text: last.text + delta.text };
      else runs.push({ field, text: delta.text });
    }
    return runs;
  }

  #usage(usage: ChatUsage): ChatUsage {
    if (!this.#separated && !this.#serverSplit) return usage;
    const tokens = channelTokens(usage, this.#chars, !this.#gatewayText);
    return tokens === undefined
      ? usage
      : withReasoningUsage(usage, tokens, this.#options.separateThinking === true);
  }
}
