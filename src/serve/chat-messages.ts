/**
 * OpenAI chat messages → node-llama-cpp's chat history. Pure; a message serve cannot render comes back
 * as a client error naming the field, never as a throw.
 *
 * - `system` and `developer` become system items (the chat wrapper places them: gpt-oss's harmony
 *   template turns them into developer messages). The reasoning extensions' `developer_instructions` arrive here
 *   already as a developer message (see `stripReasoningFields`).
 * - `user` becomes a user item; `assistant` a model response (its earlier reasoning is not replayed,
 *   as the templates of reasoning models drop it too).
 * - Content is a string or an array of text parts; images, audio and tool messages are refused: serve
 *   runs text-only models without tool calling.
 * - A conversation that ends with an assistant message is continued (prefill): the reply is the text
 *   generated after it.
 * @module
 */
import type { ChatHistoryItem } from "node-llama-cpp";

/** A client mistake, in the terms of an OpenAI error body. */
export interface MessageError {
  readonly message: string;
  readonly param: string;
}

export type HistoryResult =
  | { readonly ok: true; readonly history: ChatHistoryItem[] }
  | { readonly ok: false; readonly error: MessageError };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The text of a message's content, or an error naming what is not text. */
function contentText(content: unknown, param: string): { text: string } | { error: MessageError } {
  if (content === undefined || content === null) return { text: "" };
  if (typeof content === "string") return { text: content };
  if (!Array.isArray(content)) {
    return { error: { message: `Invalid value for '${param}': expected a string or an array.`, param } };
  }
  let text = "";
  for (const [index, part] of content.entries()) {
    if (isRecord(part) && part.type === "text" && typeof part.text === "string") {
      text += part.text;
      continue;
    }
    const kind = isRecord(part) && typeof part.type === "string" ? part.type : typeof part;
    return {
      error: {
        message: `Content parts of type '${kind}' are not supported: serve runs text-only models.`,
        param: `${param}.${index}`,
      },
    };
  }
  return { text };
}

/** Converts `messages` (already checked to be an array of objects with a `role`). */
export function toChatHistory(messages: readonly unknown[]): HistoryResult {
  const history: ChatHistoryItem[] = [];
  for (const [index, message] of messages.entries()) {
    const param = `messages.${index}`;
    if (!isRecord(message)) {
      return { ok: false, error: { message: `Invalid value for '${param}': expected an object.`, param } };
    }
    const content = contentText(message.content, `${param}.content`);
    if ("error" in content) return { ok: false, error: content.error };
    switch (message.role) {
      case "system":
      case "developer":
        history.push({ type: "system", text: content.text });
        break;
      case "user":
        history.push({ type: "user", text: content.text });
        break;
      case "assistant":
        history.push({ type: "model", response: content.text === "" ? [] : [content.text] });
        break;
      default: {
        const role = typeof message.role === "string" ? message.role : String(message.role);
        return {
          ok: false,
          error: {
            message: `Messages with role '${role}' are not supported: serve has no tool calling.`,
            param: `${param}.role`,
          },
        };
      }
    }
  }
  // The model answers in a model item: an empty one, or the assistant message it continues.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return { ok: true, history };
}
