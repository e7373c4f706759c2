/**
 * Counting a prompt's tokens with an engine's own tokenizer, at `POST /tokenize` beside its
 * OpenAI routes (not under `/v1`). Engines take different bodies there, so two are tried, within
 * one deadline:
 *
 * 1. `{model, messages, tools, add_generation_prompt}`: vLLM (and SGLang's newer servers) render
 *    the chat template first, so the count is what a chat request would cost. They answer
 *    `{count, tokens, max_model_len}`.
 * 2. `{model, prompt, content}` with the conversation as plain text: SGLang reads `prompt`,
 *    llama.cpp's server `content` (and answers `{tokens}`); the template's own few tokens are not
 *    counted then. llama.cpp answers the first body with `{tokens: []}`, which is why an empty
 *    list with messages present moves on to this one.
 *
 * Any other answer (404, 405, an error, the deadline) means "no tokenizer here": `undefined`.
 * @module
 */
import type { Dispatcher } from "undici";
import { postWithDeadline } from "./post.js";

export interface TokenizeRequest {
  /** The backend's own name for the model. */
  model: string;
  /** OpenAI chat messages. */
  messages: readonly unknown[];
  /** OpenAI function tools, when the request has any. */
  tools?: readonly unknown[] | undefined;
  /** The same conversation as plain text, for engines that tokenize text only. */
  text: string;
  /** Authentication and tracing headers, in the backend's spelling. */
  headers: Record<string, string>;
}

/** Where an engine whose API lives at `basePath` (often "" or "/v1") serves its tokenizer. */
export function tokenizePath(basePath: string): string {
  return `${basePath.replace(/\/v1$/, "")}/tokenize`;
}

/** The prompt's token count by the engine's tokenizer, or `undefined` when it has none to offer. */
export async function countWithTokenizer(
  dispatcher: Dispatcher,
  basePath: string,
  request: TokenizeRequest,
  timeoutMs: number,
): Promise<number | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  const path = tokenizePath(basePath);
  const chat = { model: request.model, messages: request.messages, add_generation_prompt: true };
  const bodies = [
    request.tools && request.tools.length > 0 ? { ...chat, tools: request.tools } : chat,
    { model: request.model, prompt: request.text, content: request.text },
  ];
  try {
    for (const body of bodies) {
      const answer = await postWithDeadline(dispatcher, path, JSON.stringify(body), request.headers, signal);
      if (answer.status === 404 || answer.status === 405) return undefined;
      const count = answer.status < 300 ? countOf(answer.body, request.text) : undefined;
      if (count !== undefined) return count;
    }
  } catch {
    // Unreachable, too slow or not JSON: the caller estimates instead.
  }
  return undefined;
}

/** `count`, else the length of `tokens`; an empty list for a non-empty prompt is no answer. */
function countOf(body: Buffer, text: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const { count, tokens } = (parsed ?? {}) as { count?: unknown; tokens?: unknown };
  if (typeof count === "number" && Number.isInteger(count) && count >= 0) return count;
  if (!Array.isArray(tokens)) return undefined;
  return tokens.length > 0 || text === "" ? tokens.length : undefined;
}
