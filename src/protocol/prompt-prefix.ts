/**
 * The start of a prompt, as cache-aware routing (`prefix_cache`) hashes it: the same text for the
 * same conversation whichever protocol carried it, so OpenAI and Anthropic clients sharing a system
 * prompt land on the same warm backend.
 * @module
 */

/** How much of the prompt is hashed. */
export const PROMPT_PREFIX_CHARS = 256;

/**
 * `leading` (Anthropic's top-level `system`) then each message's text, up to
 * {@link PROMPT_PREFIX_CHARS}. Content may be a string or an array of parts with `text`; anything
 * else counts as no text, since bodies are only partly validated when this runs.
 */
export function promptPrefix(leading: unknown, messages: readonly unknown[]): string {
  let prefix = textOf(leading);
  for (const message of messages) {
    if (prefix.length >= PROMPT_PREFIX_CHARS) break;
    if (typeof message === "object" && message !== null)
      prefix += textOf((message as { content?: unknown }).content);
  }
  return prefix.slice(0, PROMPT_PREFIX_CHARS);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    const value = typeof part === "object" && part !== null ? (part as { text?: unknown }).text : undefined;
    if (typeof value === "string") text += value;
  }
  return text;
}
