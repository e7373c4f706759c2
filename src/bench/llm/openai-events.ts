/**
 * OpenAI chat streams: every chunk whose delta carries text, reasoning or a tool call is one output
 * event; the usage chunk (asked for with `stream_options.include_usage`) gives the token count; the
 * stream is complete at `[DONE]` unless a chunk carried an `error`.
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { countField, field, parseEventData, type TokenReader } from "./token-events.js";

function carriesOutput(delta: unknown): boolean {
  for (const name of ["content", "reasoning_content", "reasoning"]) {
    const text = field(delta, name);
    if (typeof text === "string" && text.length > 0) return true;
  }
  const toolCalls = field(delta, "tool_calls");
  return Array.isArray(toolCalls) && toolCalls.length > 0;
}

export class OpenAITokenReader implements TokenReader {
  readonly tokenTimes: number[] = [];
  #usageTokens: number | undefined;
  #done = false;
  #errored = false;

  onEvent(event: EventSourceMessage, at: number): void {
    if (event.data === "[DONE]") {
      this.#done = true;
      return;
    }
    const chunk = parseEventData(event.data);
    if (!chunk) return;
    if (chunk.error !== undefined) this.#errored = true;
    const choices = chunk.choices;
    if (Array.isArray(choices) && choices.some((choice) => carriesOutput(field(choice, "delta"))))
      this.tokenTimes.push(at);
    const usage = countField(chunk.usage, "completion_tokens");
    if (usage !== undefined) this.#usageTokens = usage;
  }

  onBody(body: unknown): void {
    this.#usageTokens = countField(field(body, "usage"), "completion_tokens");
    this.#done = true;
  }

  outputTokens(): number {
    return this.#usageTokens ?? this.tokenTimes.length;
  }

  complete(): boolean {
    return this.#done && !this.#errored;
  }
}
