/**
 * Reading an LLM response for its tokens: each protocol's reader takes the parsed SSE events of a
 * stream (or a whole JSON body) and keeps the time of every event that carried output, the output
 * token count the server reported, and whether the stream reached its protocol's end.
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";

/** The wire protocols the bench speaks: chat completions, Anthropic Messages, the OpenAI Responses API. */
export const PROTOCOLS = ["openai", "anthropic", "responses"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** One request's token reader; created per request, fed in arrival order. */
export interface TokenReader {
  /** One SSE event, parsed at `at` (`performance.now()`). */
  onEvent(event: EventSourceMessage, at: number): void;
  /** A non-streaming reply's body, parsed as JSON. */
  onBody(body: unknown): void;
  /** When each output-bearing event arrived (the first is the first token). */
  readonly tokenTimes: readonly number[];
  /** Output tokens: the server's usage figure when it sent one, else the number of output events. */
  outputTokens(): number;
  /**
   * The stream ended the protocol's way (`[DONE]`, `message_stop`, `response.completed`) and carried
   * no error event.
   */
  complete(): boolean;
}

/** Parses an SSE data field as a JSON object; anything else is `undefined`. */
export function parseEventData(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A property of an object-like value, or `undefined`. */
export function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** A non-negative integer property, or `undefined`. */
export function countField(value: unknown, name: string): number | undefined {
  const count = field(value, name);
  return typeof count === "number" && Number.isInteger(count) && count >= 0 ? count : undefined;
}
