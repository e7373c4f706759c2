/**
 * The payload of a stream event: what a layer below handed on already parsed, else its data parsed.
 * A parsed event's text is written only when something reads `data`, so a converter that takes the
 * object asks about it first.
 * @module
 */
import { parseJson } from "./json.js";
import type { SseMessage } from "./translator.js";

/** The event's JSON payload, or `undefined` when its data is not JSON. */
export function eventJson(message: SseMessage): unknown {
  return message.json !== undefined ? message.json : parseJson(message.data);
}

/** Whether the event is OpenAI's `[DONE]`. An event handed on parsed never is, and its text is not written to tell. */
export function isDoneEvent(message: SseMessage): boolean {
  return message.json === undefined && message.data.trim() === "[DONE]";
}
