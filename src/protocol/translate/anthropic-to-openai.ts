/**
 * Serves an Anthropic Messages client from an OpenAI-compatible backend. The request mapping is in
 * `anthropic-to-openai-request.ts`, the stream in `anthropic-to-openai-stream.ts`; this file holds
 * the translator and the completion → message mapping:
 *
 * - reasoning (`thinking_blocks`, else `reasoning_content`/`reasoning`) → thinking blocks first,
 *   then `content` and `refusal` → a text block, then each tool call → a `tool_use` block (arguments
 *   parsed; text that is not a JSON object is kept whole, see `tool-arguments.ts`);
 * - `finish_reason` → `stop_reason` (`stop-reasons.ts`), `stop_sequence` when the backend names the
 *   stop string that matched (vLLM's `stop_reason`); without it a stop match reads as `end_turn`;
 * - usage → input (minus cached) / output tokens, cached → `cache_read_input_tokens`;
 * - `id` → `msg_<id>`; upstream errors → Anthropic's error envelope with the type for the status.
 * @module
 */
import { type AnthropicErrorBody, anthropicError } from "../anthropic/errors.js";
import type {
  AnthropicMessage,
  AnthropicMessagesRequest,
  AnthropicResponseBlock,
} from "../anthropic/types.js";
import { openAIRequest } from "./anthropic-to-openai-request.js";
import { AnthropicToOpenAIStream } from "./anthropic-to-openai-stream.js";
import { prefixedId, randomIdSuffix, toolCallId } from "./ids.js";
import { isJsonObject } from "./json.js";
import type { OpenAIChatCompletion, OpenAIResponseMessage } from "./openai-types.js";
import { matchedStopSequence, stopReasonFor } from "./stop-reasons.js";
import { reasoningBlocks } from "./thinking-blocks.js";
import { inputFromArguments } from "./tool-arguments.js";
import type { RequestTranslation, StreamConverter, Translator, TranslatorOptions } from "./translator.js";
import { describeRefusal } from "./untranslatable.js";
import { readUpstreamError } from "./upstream-error.js";
import { anthropicUsage } from "./usage.js";

/** Where an OpenAI-compatible backend serves Chat Completions. */
export const OPENAI_CHAT_PATH = "/v1/chat/completions";

/** Anthropic client, OpenAI backend. One instance per request. */
export class AnthropicToOpenAI implements Translator {
  readonly client = "anthropic";
  readonly backend = "openai";
  readonly pipesBytes = false;
  readonly #newId: () => string;
  #model = "";

  constructor(options: TranslatorOptions = {}) {
    this.#newId = options.newId ?? randomIdSuffix;
  }

  request(body: unknown): RequestTranslation {
    try {
      const upstream = openAIRequest(body as AnthropicMessagesRequest);
      this.#model = typeof upstream.model === "string" ? upstream.model : "";
      return { ok: true, body: upstream, path: OPENAI_CHAT_PATH, headers: {} };
    } catch (error) {
      return { ok: false, status: 400, body: anthropicError(400, describeRefusal(error).message) };
    }
  }

  response(body: unknown): AnthropicMessage {
    return anthropicMessage(body, this.#model, this.#newId);
  }

  error(status: number, body: unknown): AnthropicErrorBody {
    return anthropicError(status, readUpstreamError(body, status).message);
  }

  stream(): StreamConverter {
    return new AnthropicToOpenAIStream(this.#model, this.#newId);
  }
}

/** The translator for an Anthropic client whose request goes to an OpenAI-compatible backend. */
export function createAnthropicToOpenAI(options?: TranslatorOptions): AnthropicToOpenAI {
  return new AnthropicToOpenAI(options);
}

/** An OpenAI chat completion as an Anthropic message (see the module comment). */
export function anthropicMessage(completion: unknown, model: string, newId: () => string): AnthropicMessage {
  const body: Partial<OpenAIChatCompletion> = isJsonObject(completion) ? completion : {};
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  const message: Partial<OpenAIResponseMessage> = isJsonObject(choice?.message) ? choice.message : {};
  const content: AnthropicResponseBlock[] = reasoningBlocks(message);
  for (const text of [message.content, message.refusal]) {
    if (typeof text === "string" && text !== "") content.push({ type: "text", text });
  }
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isJsonObject) : [];
  for (const call of calls) {
    const name = typeof call.function?.name === "string" ? call.function.name : "";
    const input = inputFromArguments(call.function?.arguments);
    content.push({ type: "tool_use", id: toolCallId("toolu_", call.id, newId), name, input });
  }
  const stopSequence = matchedStopSequence(choice?.finish_reason, choice?.stop_reason);
  return {
    id: prefixedId("msg_", body.id, newId),
    type: "message",
    role: "assistant",
    model: typeof body.model === "string" && body.model !== "" ? body.model : model,
    content,
    stop_reason: stopReasonFor(choice?.finish_reason, stopSequence, calls.length > 0),
    stop_sequence: stopSequence,
    usage: anthropicUsage(body.usage),
  };
}
