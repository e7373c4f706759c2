/**
 * Reading an upstream chat chunk as the stream converters do: only the first choice (`index` 0, or
 * none given) is carried, since neither Anthropic nor the Responses API has more than one.
 * @module
 */
import type { OpenAIChatChunk, OpenAIChunkChoice } from "./openai-types.js";

/** The chunk's first choice, if it has one; not yet checked to be an object. */
export function firstChoice(chunk: Partial<OpenAIChatChunk>): OpenAIChunkChoice | undefined {
  return Array.isArray(chunk.choices) ? chunk.choices.find((c) => (c?.index ?? 0) === 0) : undefined;
}
