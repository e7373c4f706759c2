/**
 * The payload of a stream event: what a layer below handed on already parsed, else its data parsed.
 * @module
 */
import { parseJson } from "./json.js";
import type { SseMessage } from "./translator.js";

/** The event's JSON payload, or `undefined` when its data is not JSON. */
export function eventJson(message: SseMessage): unknown {
  return message.json !== undefined ? message.json : parseJson(message.data);
}
