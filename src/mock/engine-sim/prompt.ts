/**
 * A request rendered as the text an engine's chat template would feed the model: tools, then every
 * message in order with its role, tool calls and tool results, then the assistant's turn opening.
 * What matters for the KV cache is that it is deterministic and that a conversation's next turn
 * extends the previous turn's text, as a real template's output does; the markers themselves are
 * made up. Anthropic's `cache_control` marks, which move from turn to turn, are left out, as a chat
 * template leaves them.
 * @module
 */

type Content = unknown;

const GENERATION_PROMPT = "<|assistant|>\n";

/** A content field as text: a string as is, text parts by their text, other parts as JSON. */
export function contentAsText(content: Content): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === null || content === undefined ? "" : stableJson(content);
  let text = "";
  for (const part of content) {
    const block = part as { type?: unknown; text?: unknown; content?: unknown };
    if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (block.type === "tool_result") text += `<|tool_result|>${contentAsText(block.content)}`;
    else text += stableJson(withoutCacheControl(block));
  }
  return text;
}

function turn(role: string, body: string): string {
  return `<|${role}|>\n${body}\n`;
}

function toolsText(tools: unknown): string {
  return Array.isArray(tools) && tools.length > 0
    ? turn("tools", stableJson(tools.map(withoutCacheControl)))
    : "";
}

/** An OpenAI chat request: tools, then each message (with its tool calls), then the assistant turn. */
export function renderChatPrompt(
  messages: ReadonlyArray<{ role: string; content?: Content; tool_calls?: unknown }>,
  tools: unknown,
): string {
  let text = toolsText(tools);
  for (const message of messages) {
    const calls = message.tool_calls === undefined ? "" : stableJson(message.tool_calls);
    text += turn(message.role, contentAsText(message.content) + calls);
  }
  return text + GENERATION_PROMPT;
}

/** An Anthropic Messages request: the system prompt, tools, each message, then the assistant turn. */
export function renderMessagesPrompt(
  system: Content,
  messages: ReadonlyArray<{ role: string; content: Content }>,
  tools: unknown,
): string {
  let text = system === undefined ? "" : turn("system", contentAsText(system));
  text += toolsText(tools);
  for (const message of messages) text += turn(message.role, contentAsText(message.content));
  return text + GENERATION_PROMPT;
}

function withoutCacheControl(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  if (!("cache_control" in value)) return value;
  const { cache_control: _ignored, ...rest } = value as Record<string, unknown>;
  return rest;
}

/** JSON with object keys in sorted order, so the same object renders the same however it was built. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return item;
    return Object.fromEntries(
      Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  });
}
