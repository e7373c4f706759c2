/**
 * Serves an OpenAI Chat Completions client from an Anthropic backend. The request mapping is in
 * `openai-to-anthropic-request.ts`, the stream in `openai-to-anthropic-stream.ts`; this file holds
 * the translator and the message → completion mapping:
 *
 * - thinking blocks → `reasoning_content` (their text) + `thinking_blocks` (the blocks, signatures
 *   and redacted data included, so the client can send them back);
 * - text blocks → `content`, joined (`null` when the reply is only tool calls); `tool_use` →
 *   `tool_calls`; the response-format tool's input → `content`;
 * - `stop_reason` → `finish_reason` (`stop-reasons.ts`); a matched stop sequence also as the choice's
 *   `stop_reason` (vLLM's extension);
 * - usage → prompt (input + cache reads + cache writes) / completion tokens, cache reads →
 *   `prompt_tokens_details.cached_tokens`;
 * - `id` → `chatcmpl-<id>`; upstream errors → OpenAI's envelope, with Anthropic's error type as `code`.
 * @module
 */
import type { AnthropicMessage, AnthropicReasoningBlock } from "../anthropic/types.js";
import { type OpenAIErrorBody, openAIError } from "../openai/errors.js";
import { prefixedId, randomIdSuffix } from "./ids.js";
import { isJsonObject, textOf } from "./json.js";
import { anthropicRequest } from "./openai-to-anthropic-request.js";
import { OpenAIToAnthropicStream } from "./openai-to-anthropic-stream.js";
import type {
  OpenAIChatCompletion,
  OpenAIChatRequest,
  OpenAIChoice,
  OpenAIResponseMessage,
  OpenAIToolCall,
} from "./openai-types.js";
import { finishReasonFor } from "./stop-reasons.js";
import { copyReasoningBlock, reasoningFields } from "./thinking-blocks.js";
import { argumentsFromInput } from "./tool-arguments.js";
import type { RequestTranslation, StreamConverter, Translator, TranslatorOptions } from "./translator.js";
import { describeRefusal } from "./untranslatable.js";
import { readUpstreamError } from "./upstream-error.js";
import { openAIUsage } from "./usage.js";

/** Where an Anthropic backend serves the Messages API. */
export const ANTHROPIC_MESSAGES_PATH = "/v1/messages";

/** The Messages API version whose shapes these translators speak; sent as `anthropic-version`. */
export const ANTHROPIC_VERSION = "2023-06-01";

/** OpenAI's `code` for a request that cannot be carried to the backend. */
export const UNTRANSLATABLE_CODE = "untranslatable_request";

/** OpenAI client, Anthropic backend. One instance per request. */
export class OpenAIToAnthropic implements Translator {
  readonly client = "openai";
  readonly backend = "anthropic";
  readonly pipesBytes = false;
  readonly #now: () => number;
  readonly #newId: () => string;
  #model = "";
  #includeUsage = false;
  #jsonTool: string | undefined;

  constructor(options: TranslatorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomIdSuffix;
  }

  request(body: unknown): RequestTranslation {
    try {
      const plan = anthropicRequest(body as OpenAIChatRequest);
      this.#model = typeof plan.body.model === "string" ? plan.body.model : "";
      this.#includeUsage = plan.includeUsage;
      this.#jsonTool = plan.jsonTool;
      const headers = { "anthropic-version": ANTHROPIC_VERSION };
      return { ok: true, body: plan.body, path: ANTHROPIC_MESSAGES_PATH, headers };
    } catch (error) {
      const { message, param } = describeRefusal(error);
      return { ok: false, status: 400, body: openAIError(400, message, UNTRANSLATABLE_CODE, param) };
    }
  }

  response(body: unknown): OpenAIChatCompletion {
    return openAICompletion(body, {
      model: this.#model,
      jsonTool: this.#jsonTool,
      created: this.#created(),
      newId: this.#newId,
    });
  }

  error(status: number, body: unknown): OpenAIErrorBody {
    const error = readUpstreamError(body, status);
    return openAIError(status, error.message, error.type);
  }

  stream(): StreamConverter {
    return new OpenAIToAnthropicStream({
      model: this.#model,
      includeUsage: this.#includeUsage,
      jsonTool: this.#jsonTool,
      created: this.#created(),
      newId: this.#newId,
    });
  }

  #created(): number {
    return Math.floor(this.#now() / 1000);
  }
}

/** The translator for an OpenAI client whose request goes to an Anthropic backend. */
export function createOpenAIToAnthropic(options?: TranslatorOptions): OpenAIToAnthropic {
  return new OpenAIToAnthropic(options);
}

/** What mapping a message needs to know about its request. */
export interface CompletionContext {
  readonly model: string;
  readonly jsonTool: string | undefined;
  readonly created: number;
  readonly newId: () => string;
}

/** An Anthropic message as an OpenAI chat completion (see the module comment). */
export function openAICompletion(message: unknown, context: CompletionContext): OpenAIChatCompletion {
  const body: Partial<AnthropicMessage> = isJsonObject(message) ? message : {};
  const blocks = Array.isArray(body.content) ? body.content.filter(isJsonObject) : [];
  let text = "";
  const reasoning: AnthropicReasoningBlock[] = [];
  const calls: OpenAIToolCall[] = [];
  for (const block of blocks) {
    const kept = copyReasoningBlock(block);
    if (kept !== undefined) reasoning.push(kept);
    else if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (block.type === "tool_use" && block.name === context.jsonTool)
      text += argumentsFromInput(block.input);
    else if (block.type === "tool_use") {
      const fn = { name: textOf(block.name), arguments: argumentsFromInput(block.input) };
      calls.push({ id: textOf(block.id), type: "function", function: fn });
    }
  }
  const reply: OpenAIResponseMessage = {
    role: "assistant",
    content: text === "" && calls.length > 0 ? null : text,
    refusal: null,
    ...reasoningFields(reasoning),
  };
  if (calls.length > 0) reply.tool_calls = calls;
  let finish = finishReasonFor(body.stop_reason) ?? "stop";
  if (finish === "tool_calls" && calls.length === 0) finish = "stop";
  const choice: OpenAIChoice = { index: 0, message: reply, finish_reason: finish, logprobs: null };
  if (body.stop_reason === "stop_sequence" && typeof body.stop_sequence === "string") {
    choice.stop_reason = body.stop_sequence;
  }
  return {
    id: prefixedId("chatcmpl-", body.id, context.newId),
    object: "chat.completion",
    created: context.created,
    model: typeof body.model === "string" && body.model !== "" ? body.model : context.model,
    choices: [choice],
    usage: openAIUsage(body.usage),
  };
}
