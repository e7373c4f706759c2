/**
 * An Anthropic event stream as the chunk stream an OpenAI client expects.
 *
 * The first chunk carries `role: "assistant"`. Text deltas → `delta.content`; thinking deltas →
 * `delta.reasoning_content`, and when a thinking block ends, one `delta.thinking_blocks` entry with
 * the whole block and its signature (redacted thinking: at its start, since it has no deltas); each
 * `tool_use` block → a `tool_calls` entry with the next call index, id and name, then its input JSON
 * fragments as `arguments`. The response-format tool's input streams as content instead. The stop
 * reason comes as a chunk with an empty delta and `finish_reason`; then, if the client asked
 * `stream_options.include_usage`, a chunk with `choices: []` and `usage`; then `data: [DONE]`.
 * @module
 */
import type {
  AnthropicMessage,
  AnthropicMessageDeltaEvent,
  AnthropicUsage,
  JsonObject,
} from "../anthropic/types.js";
import { SSE_DONE, sseData } from "../sse.js";
import { streamErrorFrame } from "../stream-error.js";
import { prefixedId } from "./ids.js";
import { isJsonObject, parseJson } from "./json.js";
import type { OpenAIChatChunk, OpenAIChunkChoice, OpenAIChunkDelta } from "./openai-types.js";
import { finishReasonFor } from "./stop-reasons.js";
import { copyReasoningBlock } from "./thinking-blocks.js";
import { argumentsFromInput } from "./tool-arguments.js";
import type { SseMessage, StreamConverter } from "./translator.js";
import { readUpstreamError, statusForError } from "./upstream-error.js";
import { openAIUsage } from "./usage.js";

type Block =
  | { readonly kind: "text" | "other" }
  | { readonly kind: "thinking"; thinking: string; signature: string }
  | {
      readonly kind: "tool" | "answer";
      readonly call: number;
      readonly start: JsonObject;
      streamed: boolean;
    };

/** What the stream needs to know about the request it answers. */
export interface ChunkStreamOptions {
  readonly model: string;
  readonly includeUsage: boolean;
  /** The response-format tool, whose input is the client's content. */
  readonly jsonTool: string | undefined;
  /** OpenAI's `created`, in seconds. */
  readonly created: number;
  readonly newId: () => string;
}

/** Converts one Anthropic stream for an OpenAI client; see the module comment for the chunks. */
export class OpenAIToAnthropicStream implements StreamConverter {
  readonly #options: ChunkStreamOptions;
  #id = "";
  #model: string;
  #started = false;
  #finished = false;
  #done = false;
  readonly #blocks = new Map<number, Block>();
  #calls = 0;
  readonly #usage: Partial<AnthropicUsage> = {};

  constructor(options: ChunkStreamOptions) {
    this.#options = options;
    this.#model = options.model;
  }

  event(message: SseMessage): string[] {
    if (this.#done) return [];
    const payload = parseJson(message.data);
    if (!isJsonObject(payload)) return [];
    const type = typeof payload.type === "string" ? payload.type : message.event;
    const index = typeof payload.index === "number" ? payload.index : -1;
    switch (type) {
      case "message_start":
        return this.#messageStart(payload.message);
      case "content_block_start":
        return this.#blockStart(index, payload.content_block);
      case "content_block_delta":
        return this.#blockDelta(index, payload.delta);
      case "content_block_stop":
        return this.#blockStop(index);
      case "message_delta":
        return this.#messageDelta(payload as Partial<AnthropicMessageDeltaEvent>);
      case "message_stop":
        return this.end();
      case "error": {
        const error = readUpstreamError(payload, 500);
        return this.fail(statusForError(error), error.message, error.type);
      }
      default:
        return []; // `ping`, and events added to the protocol later
    }
  }

  end(): string[] {
    if (this.#done) return [];
    const frames = this.#finished ? [] : this.#emit({}, { finish_reason: "stop" });
    if (this.#options.includeUsage) {
      frames.push(sseData({ ...this.#envelope(), choices: [], usage: openAIUsage(this.#usage) }));
    }
    frames.push(SSE_DONE);
    this.#done = true;
    return frames;
  }

  fail(status: number, message: string, code: string | null = null): string[] {
    if (this.#done) return [];
    this.#done = true;
    return [streamErrorFrame("openai", status, message, code)];
  }

  #envelope(): Omit<OpenAIChatChunk, "choices"> {
    if (this.#id === "") this.#id = prefixedId("chatcmpl-", undefined, this.#options.newId);
    return {
      id: this.#id,
      object: "chat.completion.chunk",
      created: this.#options.created,
      model: this.#model,
    };
  }

  /** One chunk for `delta`, preceded by the role chunk when nothing was sent yet. */
  #emit(delta: OpenAIChunkDelta, choice: Partial<OpenAIChunkChoice> = {}): string[] {
    const frames = this.#started ? [] : this.#begin();
    const chunk: OpenAIChatChunk = {
      ...this.#envelope(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: null, ...choice }],
    };
    frames.push(sseData(chunk));
    return frames;
  }

  #begin(): string[] {
    this.#started = true;
    return this.#emit({ role: "assistant", content: "" });
  }

  #messageStart(message: unknown): string[] {
    const start: Partial<AnthropicMessage> = isJsonObject(message) ? message : {};
    if (this.#id === "") this.#id = prefixedId("chatcmpl-", start.id, this.#options.newId);
    if (typeof start.model === "string" && start.model !== "") this.#model = start.model;
    this.#addUsage(start.usage);
    return this.#started ? [] : this.#begin();
  }

  #blockStart(index: number, block: unknown): string[] {
    if (!isJsonObject(block)) return [];
    const text = (value: unknown) => (typeof value === "string" ? value : "");
    if (block.type === "text") {
      this.#blocks.set(index, { kind: "text" });
      return text(block.text) === "" ? [] : this.#emit({ content: text(block.text) });
    }
    if (block.type === "thinking") {
      const thinking = text(block.thinking);
      this.#blocks.set(index, { kind: "thinking", thinking, signature: text(block.signature) });
      return thinking === "" ? [] : this.#emit({ reasoning_content: thinking });
    }
    if (block.type === "tool_use") {
      const start = isJsonObject(block.input) ? block.input : {};
      if (block.name === this.#options.jsonTool) {
        this.#blocks.set(index, { kind: "answer", call: -1, start, streamed: false });
        return [];
      }
      const call = this.#calls++;
      this.#blocks.set(index, { kind: "tool", call, start, streamed: false });
      const fn = { name: text(block.name), arguments: "" };
      return this.#emit({
        tool_calls: [{ index: call, id: text(block.id), type: "function", function: fn }],
      });
    }
    this.#blocks.set(index, { kind: "other" });
    const redacted = copyReasoningBlock(block);
    return redacted === undefined ? [] : this.#emit({ thinking_blocks: [redacted] });
  }

  #blockDelta(index: number, delta: unknown): string[] {
    const block = this.#blocks.get(index);
    if (block === undefined || !isJsonObject(delta)) return [];
    const text = (value: unknown) => (typeof value === "string" ? value : "");
    switch (delta.type) {
      case "text_delta":
        return text(delta.text) === "" ? [] : this.#emit({ content: text(delta.text) });
      case "thinking_delta":
        if (block.kind === "thinking") block.thinking += text(delta.thinking);
        return text(delta.thinking) === "" ? [] : this.#emit({ reasoning_content: text(delta.thinking) });
      case "signature_delta":
        if (block.kind === "thinking") block.signature += text(delta.signature);
        return [];
      case "input_json_delta":
        return this.#inputFragment(block, text(delta.partial_json));
      default:
        return []; // citations and deltas added to the protocol later
    }
  }

  #inputFragment(block: Block, fragment: string): string[] {
    if ((block.kind !== "tool" && block.kind !== "answer") || fragment === "") return [];
    block.streamed = true;
    if (block.kind === "answer") return this.#emit({ content: fragment });
    return this.#emit({ tool_calls: [{ index: block.call, function: { arguments: fragment } }] });
  }

  #blockStop(index: number): string[] {
    const block = this.#blocks.get(index);
    this.#blocks.delete(index);
    if (block?.kind === "thinking") {
      return this.#emit({
        thinking_blocks: [{ type: "thinking", thinking: block.thinking, signature: block.signature }],
      });
    }
    // Input given whole at the start, with no deltas (not Anthropic's own habit, but valid).
    if (
      (block?.kind === "tool" || block?.kind === "answer") &&
      !block.streamed &&
      Object.keys(block.start).length > 0
    ) {
      return this.#inputFragment(block, argumentsFromInput(block.start));
    }
    return [];
  }

  #messageDelta(event: Partial<AnthropicMessageDeltaEvent>): string[] {
    this.#addUsage(event.usage);
    const delta = isJsonObject(event.delta) ? event.delta : undefined;
    let finish = finishReasonFor(delta?.stop_reason);
    if (finish === null) return [];
    // Only the response-format tool was called: for the client that is an answer, not a tool call.
    if (finish === "tool_calls" && this.#calls === 0) finish = "stop";
    this.#finished = true;
    const choice: Partial<OpenAIChunkChoice> = { finish_reason: finish };
    if (delta?.stop_reason === "stop_sequence" && typeof delta.stop_sequence === "string") {
      choice.stop_reason = delta.stop_sequence;
    }
    return this.#emit({}, choice);
  }

  #addUsage(usage: unknown): void {
    if (!isJsonObject(usage)) return;
    for (const key of [
      "input_tokens",
      "output_tokens",
      "cache_creation_input_tokens",
      "cache_read_input_tokens",
    ] as const) {
      const value = usage[key];
      if (typeof value === "number") this.#usage[key] = value;
    }
  }
}
