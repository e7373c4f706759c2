/**
 * Serves an OpenAI Responses API client from an Anthropic backend, as two translators in a row:
 * Responses → chat completions (`responses-to-chat.ts`) over chat completions → Anthropic
 * (`openai-to-anthropic.ts`). Thinking blocks cross the middle as `thinking_blocks` with their
 * signatures, so a reasoning item's sealed blob brings Anthropic its signed blocks back.
 * @module
 */
import type { ResponsesResponse } from "../responses/types.js";
import { ComposedTranslator } from "./compose.js";
import { OpenAIToAnthropic } from "./openai-to-anthropic.js";
import {
  ResponsesToChat,
  type ResponsesTranslator,
  type ResponsesTranslatorOptions,
} from "./responses-to-chat.js";

/** Responses client, Anthropic backend. One instance per request. */
export class ResponsesToAnthropic
  extends ComposedTranslator<ResponsesToChat, OpenAIToAnthropic>
  implements ResponsesTranslator
{
  override readonly client = "responses";

  constructor(options: ResponsesTranslatorOptions = {}) {
    super(new ResponsesToChat(options), new OpenAIToAnthropic(options));
  }

  get droppedTools(): readonly string[] {
    return this.outer.droppedTools;
  }

  /** The `Response` object (the outer translator's answer, typed as such). */
  override response(body: unknown): ResponsesResponse {
    return this.outer.response(this.inner.response(body));
  }
}

/** The translator for a Responses client whose request goes to an Anthropic backend. */
export function createResponsesToAnthropic(options?: ResponsesTranslatorOptions): ResponsesToAnthropic {
  return new ResponsesToAnthropic(options);
}
