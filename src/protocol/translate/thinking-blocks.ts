/**
 * Anthropic thinking blocks ⇄ OpenAI reasoning fields (the scheme is described on
 * `OpenAIReasoningFields`): `reasoning_content` carries the text for every reader, and
 * `thinking_blocks` carries the exact blocks whenever the text alone would lose something (a
 * signature, redacted data, or the boundary between two blocks).
 * @module
 */
import type { AnthropicReasoningBlock } from "../anthropic/types.js";
import { isJsonObject } from "./json.js";
import type { OpenAIReasoningFields } from "./openai-types.js";

/** A fresh copy holding only the fields Anthropic defines, or `undefined` for a foreign entry. */
export function copyReasoningBlock(entry: unknown): AnthropicReasoningBlock | undefined {
  if (!isJsonObject(entry)) return undefined;
  if (entry.type === "thinking") {
    const thinking = typeof entry.thinking === "string" ? entry.thinking : "";
    const signature = typeof entry.signature === "string" ? entry.signature : "";
    return { type: "thinking", thinking, signature };
  }
  if (entry.type === "redacted_thinking" && typeof entry.data === "string") {
    return { type: "redacted_thinking", data: entry.data };
  }
  return undefined;
}

/** The OpenAI fields that carry `blocks`; empty when there are none. */
export function reasoningFields(blocks: readonly AnthropicReasoningBlock[]): OpenAIReasoningFields {
  if (blocks.length === 0) return {};
  const fields: OpenAIReasoningFields = {};
  const text = blocks.map((block) => (block.type === "thinking" ? block.thinking : "")).join("");
  if (text !== "") fields.reasoning_content = text;
  const [only] = blocks;
  // Plain OpenAI-compatible backends never produce signatures, so their history stays free of the extension.
  const textSuffices = blocks.length === 1 && only?.type === "thinking" && only.signature === "";
  if (!textSuffices) fields.thinking_blocks = blocks.map((block) => ({ ...block }));
  return fields;
}

/**
 * The Anthropic blocks that OpenAI reasoning fields carry: `thinking_blocks` when present, else one
 * unsigned thinking block with the reasoning text, else none.
 */
export function reasoningBlocks(fields: OpenAIReasoningFields | null | undefined): AnthropicReasoningBlock[] {
  if (!isJsonObject(fields)) return [];
  if (Array.isArray(fields.thinking_blocks) && fields.thinking_blocks.length > 0) {
    return fields.thinking_blocks.flatMap((entry) => copyReasoningBlock(entry) ?? []);
  }
  const text = reasoningText(fields);
  return text === "" ? [] : [{ type: "thinking", thinking: text, signature: "" }];
}

/** The reasoning text of a message or delta, in either spelling. */
export function reasoningText(fields: OpenAIReasoningFields): string {
  const text = fields.reasoning_content ?? fields.reasoning;
  return typeof text === "string" ? text : "";
}
