/**
 * Anthropic Messages streams: each `content_block_delta` carrying text, thinking or tool input is one
 * output event (signature deltas are not); `message_delta` gives the output token count; the stream is
 * complete at `message_stop` unless an `error` event came first.
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { countField, field, parseEventData, type TokenReader } from "./token-events.js";

const OUTPUT_DELTAS = new Set(["text_delta", "thinking_delta", "input_json_delta"]);

export class AnthropicTokenReader implements TokenReader {
  readonly tokenTimes: number[] = [];
  #usageTokens: number | undefined;
  #done = false;
  #errored = false;

  onEvent(event: EventSourceMessage, at: number): void {
    const data = parseEventData(event.data);
    const type = event.event ?? (typeof data?.type === "string" ? data.type : undefined);
    switch (type) {
      case "content_block_delta": {
        const deltaType = field(data?.delta, "type");
        if (typeof deltaType === "string" && OUTPUT_DELTAS.has(deltaType)) this.tokenTimes.push(at);
        break;
      }
      case "message_delta": {
        const usage = countField(data?.usage, "output_tokens");
        if (usage !== undefined) this.#usageTokens = usage;
        break;
      }
      case "message_stop":
        this.#done = true;
        break;
      case "error":
        this.#errored = true;
        break;
    }
  }

  onBody(body: unknown): void {
    this.#usageTokens = countField(field(body, "usage"), "output_tokens");
    this.#done = true;
  }

  outputTokens(): number {
    return this.#usageTokens ?? this.tokenTimes.length;
  }

  complete(): boolean {
    return this.#done && !this.#errored;
  }
}
