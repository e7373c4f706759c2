/**
 * A chat chunk stream as the Responses API's event stream.
 *
 * Events, each a named frame with a `sequence_number` counting from 0:
 * - `response.created` and `response.in_progress` (status `in_progress`, no output) first;
 * - reasoning deltas open a `reasoning` item: `output_item.added`, `content_part.added`
 *   (`reasoning_text`), `reasoning_text.delta`…, then `reasoning_text.done`, `content_part.done`,
 *   `output_item.done` (with the sealed blob when asked for) once other output starts;
 * - content opens a `message` item: `output_item.added`, `content_part.added` (`output_text`),
 *   `output_text.delta`…, `output_text.done`, `content_part.done`, `output_item.done`; a refusal
 *   is a `refusal` part with `refusal.delta`/`.done`;
 * - each tool call index opens a `function_call` item: `output_item.added`,
 *   `function_call_arguments.delta`…, `.done`, `output_item.done`. A call is closed when the next
 *   one starts if its arguments are complete JSON (servers that stream calls one by one); calls
 *   that interleave stay open together, each event naming its `output_index`.
 * - a call to a `custom` tool opens a `custom_tool_call` item instead. Its chat arguments are JSON
 *   (`{"input": "..."}`) while the client wants the decoded text, so they are buffered (as a
 *   function call's are for its `.done`) and the input is sent when the call closes: one
 *   `custom_tool_call_input.delta` with all of it, `.done`, `output_item.done`. Decoding a JSON
 *   string as it streams would save nothing the client can use before the call is complete.
 * - The finish reason closes every open item; the closing `response.completed` (or
 *   `response.incomplete` for `length`/`content_filter`) waits for `[DONE]` or the end of the body,
 *   because the usage chunk comes after the finish.
 * An upstream error event, or `fail()`, ends the stream with `response.failed` holding the output so
 * far; nothing follows it.
 * @module
 */

import type { AnthropicReasoningBlock } from "../anthropic/types.js";
import type {
  ResponsesItemStatus,
  ResponsesOutputItem,
  ResponsesOutputPart,
  ResponsesResponse,
} from "../responses/types.js";
import { sseEvent } from "../sse.js";
import { firstChoice } from "./chat-chunk.js";
import { eventJson, isDoneEvent } from "./event-json.js";
import { toolCallId } from "./ids.js";
import { isJsonObject } from "./json.js";
import type { OpenAIChatChunk, OpenAIChunkDelta, OpenAIToolCallDelta, OpenAIUsage } from "./openai-types.js";
import {
  customCallItem,
  customInput,
  functionCallItem,
  incompleteReason,
  isCustomCall,
  markLastIncomplete,
  messageItem,
  outputText,
  type ResponseContext,
  reasoningItem,
  responseObject,
  responsesUsage,
} from "./responses-to-chat-response.js";
import { copyReasoningBlock, reasoningText } from "./thinking-blocks.js";
import { isCompleteJson } from "./tool-arguments.js";
import type { SseMessage, StreamConverter } from "./translator.js";
import { isStreamedError, readUpstreamError, statusForError } from "./upstream-error.js";

interface ReasoningState {
  readonly index: number;
  readonly id: string;
  text: string;
  readonly blocks: AnthropicReasoningBlock[];
}

interface MessageState {
  readonly index: number;
  readonly id: string;
  readonly parts: ResponsesOutputPart[];
  /** The part receiving deltas. */
  open: ResponsesOutputPart | undefined;
  /** The open text part's delta frame after its sequence number, up to the delta (textDeltaFrame). */
  deltaFields: string | undefined;
}

interface CallState {
  readonly key: number;
  readonly index: number;
  readonly id: string;
  callId: string;
  name: string;
  args: string;
  closed: boolean;
  /** A call to a `custom` tool, decided by the name its first fragment brings. */
  readonly custom: boolean;
}

/** What the stream needs besides the shared context. */
export interface ResponsesStreamOptions {
  /** Seconds now, for `completed_at`. */
  readonly now: () => number;
  /** Called once with the final `Response` (completed, incomplete or failed). */
  readonly onResponse: ((response: ResponsesResponse) => void) | undefined;
}

/** Converts one chat stream for a Responses client; see the module comment for the events. */
export class ResponsesToChatStream implements StreamConverter {
  readonly #context: ResponseContext;
  readonly #options: ResponsesStreamOptions;
  #sequence = 0;
  #nextIndex = 0;
  #started = false;
  #done = false;
  #model: string;
  readonly #output: ResponsesOutputItem[] = [];
  #reasoning: ReasoningState | undefined;
  #message: MessageState | undefined;
  readonly #calls = new Map<number, CallState>();
  #lastCallKey: number | undefined;
  #finish: unknown;
  #usage: OpenAIUsage | undefined;

  constructor(context: ResponseContext, options: ResponsesStreamOptions) {
    this.#context = context;
    this.#options = options;
    this.#model = context.echo.model;
  }

  event(message: SseMessage): string[] {
    if (this.#done) return [];
    if (isDoneEvent(message)) return this.end();
    const payload = eventJson(message);
    if (message.event === "error" || isStreamedError(payload)) {
      const error = readUpstreamError(payload ?? message.data, 500);
      return [...this.#start({}), ...this.fail(statusForError(error), error.message)];
    }
    if (!isJsonObject(payload)) return [];
    const chunk = payload as Partial<OpenAIChatChunk>;
    const frames = this.#start(chunk);
    if (isJsonObject(chunk.usage)) this.#usage = chunk.usage;
    const choice = firstChoice(chunk);
    if (!isJsonObject(choice)) return frames;
    if (isJsonObject(choice.delta)) frames.push(...this.#delta(choice.delta));
    if (choice.finish_reason !== null && choice.finish_reason !== undefined && this.#finish === undefined) {
      this.#finish = choice.finish_reason;
      frames.push(...this.#closeAll());
    }
    return frames;
  }

  end(): string[] {
    if (this.#done) return [];
    const frames = [...this.#start({}), ...this.#closeAll()];
    const reason = incompleteReason(this.#finish);
    if (reason !== undefined) markLastIncomplete(this.#output);
    const response = responseObject(this.#context, {
      status: reason === undefined ? "completed" : "incomplete",
      model: this.#model,
      output: this.#output.filter(Boolean),
      usage: responsesUsage(this.#usage),
      completedAt: reason === undefined ? this.#options.now() : null,
      ...(reason === undefined ? {} : { incompleteReason: reason }),
    });
    frames.push(
      this.#emit(reason === undefined ? "response.completed" : "response.incomplete", { response }),
    );
    this.#finishWith(response);
    return frames;
  }

  fail(status: number, message: string): string[] {
    if (this.#done) return [];
    const output = [...this.#output];
    for (const [index, item] of this.#openItems()) output[index] = item;
    const code = status === 429 ? "rate_limit_exceeded" : "server_error";
    const response = responseObject(this.#context, {
      status: "failed",
      model: this.#model,
      output: output.filter(Boolean),
      usage: responsesUsage(this.#usage),
      error: { code, message },
    });
    const frame = this.#emit("response.failed", { response });
    this.#finishWith(response);
    return [frame];
  }

  #finishWith(response: ResponsesResponse): void {
    this.#done = true;
    this.#options.onResponse?.(response);
  }

  #emit(type: string, fields: Record<string, unknown>): string {
    return sseEvent(type, { type, sequence_number: this.#sequence++, ...fields });
  }

  #start(chunk: Partial<OpenAIChatChunk>): string[] {
    if (this.#started) return [];
    this.#started = true;
    if (typeof chunk.model === "string" && chunk.model !== "") this.#model = chunk.model;
    const response = responseObject(this.#context, { status: "in_progress", model: this.#model, output: [] });
    // The same object in both: written once.
    const json = JSON.stringify(response);
    return [this.#emitResponse("response.created", json), this.#emitResponse("response.in_progress", json)];
  }

  /** A frame whose one field is the `response` object written already, exactly as #emit writes it. */
  #emitResponse(type: "response.created" | "response.in_progress", response: string): string {
    return `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.#sequence++},"response":${response}}\n\n`;
  }

  #delta(delta: OpenAIChunkDelta): string[] {
    const frames: string[] = [];
    const reasoning = reasoningText(delta);
    if (reasoning !== "") frames.push(...this.#reasoningDelta(reasoning));
    if (Array.isArray(delta.thinking_blocks)) {
      for (const entry of delta.thinking_blocks) {
        const block = copyReasoningBlock(entry);
        if (block !== undefined) frames.push(...this.#reasoningBlock(block));
      }
    }
    if (typeof delta.content === "string" && delta.content !== "")
      frames.push(...this.#text("output_text", delta.content));
    if (typeof delta.refusal === "string" && delta.refusal !== "")
      frames.push(...this.#text("refusal", delta.refusal));
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) if (isJsonObject(call)) frames.push(...this.#toolCall(call));
    }
    return frames;
  }

  // ── reasoning ──

  #openReasoning(): string[] {
    const frames = this.#closeMessage();
    const index = this.#nextIndex++;
    const state: ReasoningState = { index, id: `rs_${this.#context.newId()}`, text: "", blocks: [] };
    this.#reasoning = state;
    const item = reasoningItem(this.#context, state.id, "", [], "in_progress");
    frames.push(this.#emit("response.output_item.added", { output_index: index, item }));
    frames.push(
      this.#emit("response.content_part.added", {
        ...this.#at(state),
        part: { type: "reasoning_text", text: "" },
      }),
    );
    return frames;
  }

  #reasoningDelta(text: string): string[] {
    const frames = this.#reasoning === undefined ? this.#openReasoning() : [];
    const state = this.#reasoning!;
    state.text += text;
    frames.push(this.#reasoningTextDelta(state, text));
    return frames;
  }

  /** A complete block from `thinking_blocks`; its text has usually streamed already. */
  #reasoningBlock(block: AnthropicReasoningBlock): string[] {
    const frames: string[] = [];
    if (this.#reasoning === undefined) {
      frames.push(...this.#openReasoning());
      if (block.type === "thinking" && block.thinking !== "")
        frames.push(...this.#reasoningDelta(block.thinking));
    }
    this.#reasoning!.blocks.push(block);
    return frames;
  }

  #closeReasoning(status: "completed" | "incomplete" = "completed"): string[] {
    const state = this.#reasoning;
    if (state === undefined) return [];
    this.#reasoning = undefined;
    const part = { type: "reasoning_text", text: state.text };
    const item = reasoningItem(this.#context, state.id, state.text, state.blocks, status);
    this.#output[state.index] = item;
    return [
      this.#emit("response.reasoning_text.done", { ...this.#at(state), text: state.text }),
      this.#emit("response.content_part.done", { ...this.#at(state), part }),
      this.#emit("response.output_item.done", { output_index: state.index, item }),
    ];
  }

  // ── message ──

  #text(kind: "output_text" | "refusal", text: string): string[] {
    const frames = this.#closeReasoning();
    if (this.#message === undefined) {
      const index = this.#nextIndex++;
      this.#message = {
        index,
        id: `msg_${this.#context.newId()}`,
        parts: [],
        open: undefined,
        deltaFields: undefined,
      };
      const item = messageItem(this.#message.id, [], "in_progress");
      frames.push(this.#emit("response.output_item.added", { output_index: index, item }));
    }
    const state = this.#message;
    if (state.open?.type !== kind) {
      frames.push(...this.#closePart(state));
      state.open = kind === "output_text" ? outputText("") : { type: "refusal", refusal: "" };
      state.deltaFields = undefined;
      const empty = kind === "output_text" ? outputText("") : { type: "refusal", refusal: "" };
      frames.push(this.#emit("response.content_part.added", { ...this.#part(state), part: empty }));
    }
    const open = state.open!;
    if (open.type === "output_text") {
      open.text += text;
      frames.push(this.#textDelta(state, text));
    } else {
      open.refusal += text;
      frames.push(this.#emit("response.refusal.delta", { ...this.#part(state), delta: text }));
    }
    return frames;
  }

  #closePart(state: MessageState): string[] {
    const part = state.open;
    if (part === undefined) return [];
    const at = this.#part(state);
    state.parts.push(part);
    state.open = undefined;
    const done =
      part.type === "output_text"
        ? this.#emit("response.output_text.done", { ...at, text: part.text, logprobs: [] })
        : this.#emit("response.refusal.done", { ...at, refusal: part.refusal });
    return [done, this.#emit("response.content_part.done", { ...at, part })];
  }

  #closeMessage(status: "completed" | "incomplete" = "completed"): string[] {
    const state = this.#message;
    if (state === undefined) return [];
    const frames = this.#closePart(state);
    this.#message = undefined;
    const item = messageItem(state.id, state.parts, status);
    this.#output[state.index] = item;
    frames.push(this.#emit("response.output_item.done", { output_index: state.index, item }));
    return frames;
  }

  // ── tool calls ──

  #toolCall(delta: OpenAIToolCallDelta): string[] {
    const frames = [...this.#closeReasoning(), ...this.#closeMessage()];
    let call = this.#callFor(delta);
    if (call === undefined) {
      // Most servers stream calls one after another: a call whose arguments are complete JSON is
      // over once the next begins, and its client may run it while the others stream.
      for (const open of this.#openCalls()) {
        if (isCompleteJson(open.args)) frames.push(...this.#closeCall(open, "completed"));
      }
      const key = this.#keyFor(delta);
      const callId = toolCallId("call_", delta.id, this.#context.newId);
      const name = typeof delta.function?.name === "string" ? delta.function.name : "";
      const custom = isCustomCall(this.#context, name);
      const id = `${custom ? "ctc" : "fc"}_${this.#context.newId()}`;
      call = { key, index: this.#nextIndex++, id, callId, name, args: "", closed: false, custom };
      this.#calls.set(key, call);
      this.#lastCallKey = key;
      const item = this.#callItem(call, "in_progress");
      frames.push(this.#emit("response.output_item.added", { output_index: call.index, item }));
    } else if (typeof delta.function?.name === "string") call.name += delta.function.name;
    const fragment = typeof delta.function?.arguments === "string" ? delta.function.arguments : "";
    // A closed call's item is final: later fragments (whitespace, unless the backend broke JSON) are dropped.
    if (fragment === "" || call.closed) return frames;
    call.args += fragment;
    if (call.custom) return frames;
    frames.push(this.#argumentsDelta(call, fragment));
    return frames;
  }

  #keyFor(delta: OpenAIToolCallDelta): number {
    if (typeof delta.index === "number") return delta.index;
    if (typeof delta.id !== "string" || delta.id === "") return this.#lastCallKey ?? 0;
    // A new call without an index gets a key no numbered call holds, so no open call is lost.
    let key = this.#calls.size;
    while (this.#calls.has(key)) key++;
    return key;
  }

  /** The call a fragment continues; some servers leave out `index`, then the id (or the last call) decides. */
  #callFor(delta: OpenAIToolCallDelta): CallState | undefined {
    if (typeof delta.index === "number") return this.#calls.get(delta.index);
    if (typeof delta.id === "string" && delta.id !== "") {
      return [...this.#calls.values()].find((call) => call.callId === delta.id);
    }
    const last = this.#lastCallKey === undefined ? undefined : this.#calls.get(this.#lastCallKey);
    return last ?? undefined;
  }

  #closeCall(call: CallState, status: "completed" | "incomplete"): string[] {
    call.closed = true;
    if (call.custom) return this.#closeCustomCall(call, status);
    const item = functionCallItem(this.#context, call.id, call.callId, call.name, call.args, status);
    this.#output[call.index] = item;
    return [
      this.#emit("response.function_call_arguments.done", {
        item_id: call.id,
        output_index: call.index,
        name: item.name,
        arguments: call.args,
      }),
      this.#emit("response.output_item.done", { output_index: call.index, item }),
    ];
  }

  #closeCustomCall(call: CallState, status: "completed" | "incomplete"): string[] {
    const item = this.#callItem(call, status);
    this.#output[call.index] = item;
    const input = item.type === "custom_tool_call" ? item.input : "";
    const at = { item_id: call.id, output_index: call.index };
    return [
      ...(input === "" ? [] : [this.#emit("response.custom_tool_call_input.delta", { ...at, delta: input })]),
      this.#emit("response.custom_tool_call_input.done", { ...at, input }),
      this.#emit("response.output_item.done", { output_index: call.index, item }),
    ];
  }

  /**
   * A call's item as it stands. A custom call's input is known only once its arguments are: a
   * completed call's are decoded (or taken as they are when not JSON); arguments cut short give "".
   */
  #callItem(call: CallState, status: ResponsesItemStatus): ResponsesOutputItem {
    if (!call.custom)
      return functionCallItem(this.#context, call.id, call.callId, call.name, call.args, status);
    const input = status === "completed" || isCompleteJson(call.args) ? customInput(call.args) : "";
    return customCallItem(
      this.#context,
      call.id,
      call.callId,
      call.name,
      status === "in_progress" ? "" : input,
      status,
    );
  }

  // ── bookkeeping ──

  /** Closes every open item in output order; the last is `incomplete` when output was cut short. */
  #closeAll(): string[] {
    const last = Math.max(
      -1,
      this.#reasoning?.index ?? -1,
      this.#message?.index ?? -1,
      ...this.#openCalls().map((c) => c.index),
    );
    const cut = incompleteReason(this.#finish) !== undefined;
    const statusOf = (index: number) => (cut && index === last ? "incomplete" : "completed");
    const frames = [
      ...this.#closeReasoning(statusOf(this.#reasoning?.index ?? -1)),
      ...this.#closeMessage(statusOf(this.#message?.index ?? -1)),
    ];
    for (const call of this.#openCalls().sort((a, b) => a.index - b.index)) {
      frames.push(...this.#closeCall(call, statusOf(call.index)));
    }
    return frames;
  }

  #openCalls(): CallState[] {
    return [...this.#calls.values()].filter((call) => !call.closed);
  }

  /** Items still open, as they stand, with their output index, for a failed response. */
  #openItems(): Array<[number, ResponsesOutputItem]> {
    const items: Array<[number, ResponsesOutputItem]> = [];
    const reasoning = this.#reasoning;
    if (reasoning !== undefined) {
      const item = reasoningItem(this.#context, reasoning.id, reasoning.text, reasoning.blocks, "incomplete");
      items.push([reasoning.index, item]);
    }
    const message = this.#message;
    if (message !== undefined) {
      const parts = message.open === undefined ? message.parts : [...message.parts, message.open];
      items.push([message.index, messageItem(message.id, parts, "incomplete")]);
    }
    for (const call of this.#openCalls()) {
      items.push([call.index, this.#callItem(call, "incomplete")]);
    }
    return items;
  }

  #at(state: { readonly index: number; readonly id: string }): Record<string, unknown> {
    return { item_id: state.id, output_index: state.index, content_index: 0 };
  }

  /**
   * One `response.output_text.delta` frame, the event of every token: written from a template made
   * once per part, as #emit would write it, without building and serialising an object per token.
   */
  #textDelta(state: MessageState, text: string): string {
    state.deltaFields ??= `,"item_id":${JSON.stringify(state.id)},"output_index":${state.index},"content_index":${state.parts.length},"delta":`;
    const sequence = this.#sequence++;
    return `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence}${state.deltaFields}${JSON.stringify(text)},"logprobs":[]}\n\n`;
  }

  /** A `response.reasoning_text.delta` frame, per token as #textDelta, byte for byte as #emit would write it. */
  #reasoningTextDelta(state: ReasoningState, text: string): string {
    const sequence = this.#sequence++;
    return `event: response.reasoning_text.delta\ndata: {"type":"response.reasoning_text.delta","sequence_number":${sequence},"item_id":${JSON.stringify(state.id)},"output_index":${state.index},"content_index":0,"delta":${JSON.stringify(text)}}\n\n`;
  }

  /** A `response.function_call_arguments.delta` frame, per fragment, as #reasoningTextDelta. */
  #argumentsDelta(call: CallState, fragment: string): string {
    const sequence = this.#sequence++;
    return `event: response.function_call_arguments.delta\ndata: {"type":"response.function_call_arguments.delta","sequence_number":${sequence},"item_id":${JSON.stringify(call.id)},"output_index":${call.index},"delta":${JSON.stringify(fragment)}}\n\n`;
  }

  #part(state: MessageState): Record<string, unknown> {
    return { item_id: state.id, output_index: state.index, content_index: state.parts.length };
  }
}
