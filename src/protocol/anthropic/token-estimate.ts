/**
 * A Messages request's input tokens, estimated without a tokenizer, for `count_tokens` when no
 * backend can count them (an engine without `/tokenize`, a backend that is down): about
 * {@link CHARS_PER_TOKEN} characters a token over the request's text (system, messages, tool calls
 * and results, thinking, tool definitions as JSON), plus {@link TOKENS_PER_MESSAGE} for each
 * message's framing and {@link TOKENS_PER_IMAGE} for each image or document. English prose and code
 * run at 3.5–4.5 characters a token on current tokenizers; the estimate is meant to size a context
 * window, not to bill.
 *
 * The same walk gives the request as plain text, for tokenizers that take text only.
 * @module
 */

export const CHARS_PER_TOKEN = 4;
export const TOKENS_PER_MESSAGE = 4;
/** Anthropic's own figure for a large image (about 1.15 megapixels). */
export const TOKENS_PER_IMAGE = 1600;

export interface RequestText {
  /** The request's text, parts separated by newlines. */
  text: string;
  messages: number;
  /** Images and documents, which have no text to count. */
  media: number;
}

/** The text of a Messages (or count_tokens) request body; anything malformed counts as no text. */
export function requestText(body: unknown): RequestText {
  const out = { parts: [] as string[], media: 0 };
  const request = isObject(body) ? body : {};
  collect(request.system, out);
  const messages = Array.isArray(request.messages) ? request.messages : [];
  for (const message of messages) if (isObject(message)) collect(message.content, out);
  if (Array.isArray(request.tools)) {
    for (const tool of request.tools) {
      if (!isObject(tool)) continue;
      const { name, description, input_schema: schema } = tool;
      out.parts.push(JSON.stringify({ name, description, input_schema: schema }));
    }
  }
  return { text: out.parts.join("\n"), messages: messages.length, media: out.media };
}

export function estimateInputTokens(body: unknown): number {
  const { text, messages, media } = requestText(body);
  return Math.ceil(text.length / CHARS_PER_TOKEN) + messages * TOKENS_PER_MESSAGE + media * TOKENS_PER_IMAGE;
}

function collect(content: unknown, out: { parts: string[]; media: number }): void {
  if (typeof content === "string") {
    if (content !== "") out.parts.push(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const block of content) {
    if (!isObject(block)) continue;
    switch (block.type) {
      case "text":
        collect(block.text, out);
        break;
      case "thinking":
        collect(block.thinking, out);
        break;
      case "tool_use":
        out.parts.push(`${String(block.name)} ${JSON.stringify(block.input ?? {})}`);
        break;
      case "tool_result":
        collect(block.content, out);
        break;
      case "image":
      case "document":
        out.media++;
        break;
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
