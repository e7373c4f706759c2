/**
 * An OpenAI chunk stream as the Anthropic event stream an Anthropic client expects.
 *
 * Output follows Anthropic's order: one `message_start`; then content blocks one at a time, each
 * `content_block_start`, deltas, `content_block_stop`, with indexes 0, 1, 2…; then `message_delta`
 * (stop reason, usage) and `message_stop`. Reasoning deltas make a thinking block (closed by a
 * signature from `thinking_blocks`, or when other content starts), content makes a text block, and
 * each tool call index makes a `tool_use` block whose argument fragments stream as `input_json_delta`.
 *
 * Blocks cannot interleave in Anthropic's stream, but parallel tool calls can in OpenAI's: while one
 * call's block is open, fragments of other calls are buffered. The open call is closed once its
 * arguments form complete JSON and another call has something to say; a buffered call then starts
 * with everything it has so far. Calls still buffered when the choice finishes are written whole.
 *
 * `message_delta` waits for `[DONE]` (or the end of the body), because with
 * `stream_options.include_usage` the usage arrives in a chunk after the finish reason.
 * @module
 */

import type {
  AnthropicBlockDelta,
  AnthropicDeltaUsage,
  AnthropicReasoningBlock,
  AnthropicResponseBlock,
  AnthropicStreamEvent,
} from "../anthropic/types.js";
import { sseEvent } from "../sse.js";
import { streamErrorFrame } from "../stream-error.js";
import { firstChoice } from "./chat-chunk.js";
import { eventJson, isDoneEvent } from "./event-json.js";
import { prefixedId, toolCallId } from "./ids.js";
import { isJsonObject } from "./json.js";
import type { OpenAIChatChunk, OpenAIChunkChoice, OpenAIToolCallDelta, OpenAIUsage } from "./openai-types.js";
import { matchedStopSequence, stopReasonFor } from "./stop-reasons.js";
import { copyReasoningBlock, reasoningText } from "./thinking-blocks.js";
import { isCompleteJson } from "./tool-arguments.js";
import type { SseMessage, StreamConverter } from "./translator.js";
import { isStreamedError, readUpstreamError, statusForError } from "./upstream-error.js";
import { anthropicUsage } from "./usage.js";

interface ToolCall {
  readonly key: number;
  id: string;
  name: string;
  args: string;
  /** The block index once its block has started. */
  block: number | undefined;
  closed: boolean;
}

type OpenBlock =
  | { readonly kind: "thinking" | "text" | "other"; readonly index: number }
  | {
      readonly kind: "tool";
      readonly index: number;
      readonly call: ToolCall;
    };

function frame(event: AnthropicStreamEvent): string {
  return sseEvent(event.type, event);
}

function deltaFrame(index: number, delta: AnthropicBlockDelta): string {
  return frame({ type: "content_block_delta", index, delta });
}

/**
 * `deltaFrame(index, { type: "text_delta", text })` byte for byte, written around the text: one
 * goes out per token, and serialising its two fixed objects cost more than the text itself.
 */
function textDeltaFrame(index: number, text: string): string {
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}\n\n`;
}

/** `deltaFrame(index, { type: "thinking_delta", thinking })` byte for byte, as textDeltaFrame. */
function thinkingDeltaFrame(index: number, thinking: string): string {
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(thinking)}}}\n\n`;
}

/** Converts one OpenAI stream for an Anthropic client; see the module comment for the event order. */
export class AnthropicToOpenAIStream implements StreamConverter {
  readonly #model: string;
  readonly #newId: () => string;
  #started = false;
  #done = false;
  #nextIndex = 0;
  #open: OpenBlock | undefined;
  readonly #calls = new Map<number, ToolCall>();
  #lastCallKey: number | undefined;
  #finish: unknown;
  #stopSequence: string | null = null;
  #usage: OpenAIUsage | undefined;

  /**
   * @param model the model to name when the chunks do not
   * @param newId a fresh id suffix, for a message or tool call the upstream left without an id
   */
  constructor(model: string, newId: () => string) {
    this.#model = model;
    this.#newId = newId;
  }

  event(message: SseMessage): string[] {
    if (this.#done) return [];
    if (isDoneEvent(message)) return this.end();
    const payload = eventJson(message);
    if (message.event === "error" || isStreamedError(payload)) {
      const error = readUpstreamError(payload ?? message.data, 500);
      return this.fail(statusForError(error), error.message);
    }
    if (!isJsonObject(payload)) return [];
    const chunk = payload as Partial<OpenAIChatChunk>;
    const frames = this.#start(chunk);
    if (isJsonObject(chunk.usage)) this.#usage = chunk.usage;
    const choice = firstChoice(chunk);
    if (isJsonObject(choice)) frames.push(...this.#choice(choice));
    return frames;
  }

  end(): string[] {
    if (this.#done) return [];
    const frames = [...this.#start({}), ...this.#closeAll()];
    const stopReason = stopReasonFor(this.#finish, this.#stopSequence, this.#calls.size > 0);
    const usage = anthropicUsage(this.#usage);
    const deltaUsage: AnthropicDeltaUsage = { output_tokens: usage.output_tokens };
    if (this.#usage !== undefined) {
      deltaUsage.input_tokens = usage.input_tokens;
      if (usage.cache_read_input_tokens) deltaUsage.cache_read_input_tokens = usage.cache_read_input_tokens;
    }
    const stopSequence = stopReason === "stop_sequence" ? this.#stopSequence : null;
    frames.push(
      frame({
        type: "message_delta",
        delta: { stop_reason: stopReason, stop_sequence: stopSequence },
        usage: deltaUsage,
      }),
      frame({ type: "message_stop" }),
    );
    this.#done = true;
    return frames;
  }

  fail(status: number, message: string): string[] {
    if (this.#done) return [];
    this.#done = true;
    return [streamErrorFrame("anthropic", status, message)];
  }

  #start(chunk: Partial<OpenAIChatChunk>): string[] {
    if (this.#started) return [];
    this.#started = true;
    const usage = { ...anthropicUsage(chunk.usage), output_tokens: 0 };
    const model = typeof chunk.model === "string" && chunk.model !== "" ? chunk.model : this.#model;
    const id = prefixedId("msg_", chunk.id, this.#newId);
    return [
      frame({
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      }),
    ];
  }

  #choice(choice: OpenAIChunkChoice): string[] {
    const frames: string[] = [];
    const delta = isJsonObject(choice.delta) ? choice.delta : {};
    const reasoning = reasoningText(delta);
    if (reasoning !== "") frames.push(...this.#thinking(reasoning));
    if (Array.isArray(delta.thinking_blocks)) {
      for (const entry of delta.thinking_blocks) {
        const block = copyReasoningBlock(entry);
        if (block !== undefined) frames.push(...this.#reasoningBlock(block));
      }
    }
    for (const text of [delta.content, delta.refusal]) {
      if (typeof text === "string" && text !== "") frames.push(...this.#text(text));
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) {
        if (typeof call === "object" && call !== null) frames.push(...this.#toolCall(call));
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      this.#finish = choice.finish_reason;
      this.#stopSequence = matchedStopSequence(choice.finish_reason, choice.stop_reason);
      frames.push(...this.#closeAll());
    }
    return frames;
  }

  #begin(block: AnthropicResponseBlock, call?: ToolCall): string[] {
    const frames = this.#close();
    const index = this.#nextIndex++;
    if (call === undefined) {
      const kind = block.type === "thinking" || block.type === "text" ? block.type : "other";
      this.#open = { kind, index };
    } else {
      call.block = index;
      this.#open = { kind: "tool", index, call };
    }
    frames.push(frame({ type: "content_block_start", index, content_block: block }));
    return frames;
  }

  #close(): string[] {
    const open = this.#open;
    if (open === undefined) return [];
    if (open.kind === "tool") open.call.closed = true;
    this.#open = undefined;
    return [frame({ type: "content_block_stop", index: open.index })];
  }

  #thinking(text: string): string[] {
    const frames =
      this.#open?.kind === "thinking" ? [] : this.#begin({ type: "thinking", thinking: "", signature: "" });
    frames.push(thinkingDeltaFrame(this.#open!.index, text));
    return frames;
  }

  /** A complete block from `thinking_blocks`; its text has usually streamed already. */
  #reasoningBlock(block: AnthropicReasoningBlock): string[] {
    if (block.type === "redacted_thinking") return [...this.#begin(block), ...this.#close()];
    const frames: string[] = [];
    if (this.#open?.kind !== "thinking") {
      frames.push(...this.#begin({ type: "thinking", thinking: "", signature: "" }));
      if (block.thinking !== "") frames.push(...this.#thinking(block.thinking));
    }
    if (block.signature === "") return frames;
    frames.push(deltaFrame(this.#open!.index, { type: "signature_delta", signature: block.signature }));
    frames.push(...this.#close());
    return frames;
  }

  #text(text: string): string[] {
    const frames = this.#open?.kind === "text" ? [] : this.#begin({ type: "text", text: "" });
    frames.push(textDeltaFrame(this.#open!.index, text));
    return frames;
  }

  #toolCall(delta: OpenAIToolCallDelta): string[] {
    const call = this.#callFor(delta);
    const fragment = typeof delta.function?.arguments === "string" ? delta.function.arguments : "";
    call.args += fragment;
    if (call.block === undefined) {
      if (typeof delta.function?.name === "string") call.name += delta.function.name;
      if (call.id === "" && typeof delta.id === "string") call.id = delta.id;
      const open = this.#open;
      const mayStart = open?.kind !== "tool" || isCompleteJson(open.call.args);
      return mayStart ? this.#startCall(call) : [];
    }
    // A fragment after its block closed can only be trailing whitespace, unless the backend broke
    // JSON; it is still delivered under its own index rather than lost.
    if (fragment === "" || (call.closed && fragment.trim() === "")) return [];
    return [deltaFrame(call.block, { type: "input_json_delta", partial_json: fragment })];
  }

  #callFor(delta: OpenAIToolCallDelta): ToolCall {
    let key = typeof delta.index === "number" ? delta.index : undefined;
    // Some servers leave out `index`: a new id starts a new call, no id continues the last one.
    if (key === undefined) {
      const known = [...this.#calls.values()].find((call) => call.id !== "" && call.id === delta.id);
      const isNew = typeof delta.id === "string" && delta.id !== "" && known === undefined;
      key = known?.key ?? (isNew ? this.#calls.size : (this.#lastCallKey ?? 0));
    }
    let call = this.#calls.get(key);
    if (call === undefined) {
      call = { key, id: "", name: "", args: "", block: undefined, closed: false };
      this.#calls.set(key, call);
    }
    this.#lastCallKey = key;
    return call;
  }

  #startCall(call: ToolCall): string[] {
    call.id = toolCallId("toolu_", call.id, this.#newId);
    const frames = this.#begin({ type: "tool_use", id: call.id, name: call.name, input: {} }, call);
    if (call.args !== "")
      frames.push(deltaFrame(this.#open!.index, { type: "input_json_delta", partial_json: call.args }));
    return frames;
  }

  /** Closes the open block and writes out every tool call still buffered, in index order. */
  #closeAll(): string[] {
    const frames = this.#close();
    const waiting = [...this.#calls.values()].filter((call) => call.block === undefined);
    for (const call of waiting.sort((a, b) => a.key - b.key))
      frames.push(...this.#startCall(call), ...this.#close());
    return frames;
  }
}
