/**
 * OpenAI Responses API streams: each delta of output text, reasoning (text or summary), refusal or
 * function-call arguments is one output event; the `usage` of the response in `response.completed`
 * (or `response.incomplete`) gives the token count. The stream is complete at either of those two: a
 * response stopped by `max_output_tokens` is `incomplete` yet ended normally, as a chat stream that
 * stops for length still sends `[DONE]`. `response.failed` or an `error` event makes it incomplete.
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { countField, field, parseEventData, type TokenReader } from "./token-events.js";

const OUTPUT_EVENTS = new Set([
  "response.output_text.delta",
  "response.refusal.delta",
  "response.reasoning_text.delta",
  "response.reasoning_summary_text.delta",
  "response.function_call_arguments.delta",
]);

/** Events that end a response normally; each carries the final response object. */
const END_EVENTS = new Set(["response.completed", "response.incomplete"]);

const FAILURE_EVENTS = new Set(["response.failed", "error"]);

export class ResponsesTokenReader implements TokenReader {
  readonly tokenTimes: number[] = [];
  #usageTokens: number | undefined;
  #done = false;
  #errored = false;

  onEvent(event: EventSourceMessage, at: number): void {
    const data = parseEventData(event.data);
    const type = typeof data?.type === "string" ? data.type : event.event;
    if (type === undefined) return;
    if (OUTPUT_EVENTS.has(type)) {
      const delta = field(data, "delta");
      if (typeof delta !== "string" || delta.length > 0) this.tokenTimes.push(at);
    } else if (END_EVENTS.has(type)) {
      this.#done = true;
      this.#takeUsage(field(data, "response"));
    } else if (FAILURE_EVENTS.has(type)) this.#errored = true;
  }

  onBody(body: unknown): void {
    this.#takeUsage(body);
    this.#done = true;
  }

  #takeUsage(response: unknown): void {
    const usage = countField(field(response, "usage"), "output_tokens");
    if (usage !== undefined) this.#usageTokens = usage;
  }

  outputTokens(): number {
    return this.#usageTokens ?? this.tokenTimes.length;
  }

  complete(): boolean {
    return this.#done && !this.#errored;
  }
}
