/**
 * Tool-call arguments: a JSON string in OpenAI, an object in Anthropic.
 *
 * A model can emit arguments that are not a JSON object (truncated or malformed JSON). Anthropic
 * needs an object, and `{}` would hide what the model wrote, so such text is kept whole as
 * `{"_raw_arguments": "<text>"}`: an Anthropic client sees the call fail schema validation with the
 * model's own text, and translating back restores the exact original string.
 * @module
 */
import type { JsonObject } from "../anthropic/types.js";
import { isJsonObject, parseJson } from "./json.js";

/** The key under which arguments that are not a JSON object are kept whole. */
export const RAW_ARGUMENTS_KEY = "_raw_arguments";

/** Anthropic `input` for OpenAI `arguments`. Empty arguments mean no arguments. */
export function inputFromArguments(args: unknown): JsonObject {
  // Some servers (Ollama's native shape) send arguments already parsed.
  if (isJsonObject(args)) return args;
  if (typeof args !== "string" || args.trim() === "") return {};
  const parsed = parseJson(args);
  return isJsonObject(parsed) ? parsed : { [RAW_ARGUMENTS_KEY]: args };
}

/** OpenAI `arguments` for Anthropic `input`; the inverse of {@link inputFromArguments}. */
export function argumentsFromInput(input: unknown): string {
  if (isJsonObject(input)) {
    const raw = input[RAW_ARGUMENTS_KEY];
    if (typeof raw === "string" && Object.keys(input).length === 1) return raw;
    return JSON.stringify(input);
  }
  return "{}";
}

/** Whether `text` is one complete JSON value (a streamed argument string that has ended). */
export function isCompleteJson(text: string): boolean {
  return parseJson(text) !== undefined;
}
