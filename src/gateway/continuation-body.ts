/**
 * The request that continues a broken stream on another backend (stream resume): the original request
 * in OpenAI's chat shape (translated when the client speaks Anthropic's), with the text so far as an
 * assistant prefill that the backend continues (`continue_final_message`, as vLLM names it).
 * Continuations go to OpenAI-compatible backends only: resume reads OpenAI chat chunks.
 * @module
 */
import { createAnthropicToOpenAI } from "../protocol/translate/anthropic-to-openai.js";
import type { Protocol } from "../protocol/translate/translator.js";

/** The body, as JSON text; undefined when the request cannot be put in OpenAI's chat shape. */
export function continuationBody(
  protocol: Protocol,
  parsedBody: Record<string, unknown>,
  model: string,
  prefill: string,
): string | undefined {
  let chat: Record<string, unknown> = parsedBody;
  if (protocol === "anthropic") {
    const translated = createAnthropicToOpenAI().request({ ...parsedBody, model });
    if (!translated.ok) return undefined;
    chat = translated.body as Record<string, unknown>;
  }
  const messages = Array.isArray(chat.messages) ? chat.messages : [];
  return JSON.stringify({
    ...chat,
    model,
    messages: [...messages, { role: "assistant", content: prefill }],
    continue_final_message: true,
    add_generation_prompt: false,
  });
}
