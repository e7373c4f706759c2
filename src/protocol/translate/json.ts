/**
 * JSON helpers for reading bodies and events received over the wire, which may be anything.
 * @module
 */
import type { JsonObject } from "../anthropic/types.js";

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parsed value of `text`, or `undefined` when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `value` as text, for ids, names and messages read off the wire. Unlike `String()` it never throws:
 * a parsed object such as `{"toString":1}` has no usable conversion, so objects become their JSON.
 */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  if (typeof value !== "object") return String(value);
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}
