/**
 * Serves an OpenAI Responses API client from a Chat Completions backend. The request mapping is in
 * `responses-to-chat-request.ts` (with `-input.ts` and `-tools.ts`), the response in
 * `responses-to-chat-response.ts`, the stream in `responses-to-chat-stream.ts`; this file holds the
 * translator, its options and the error mapping (OpenAI's envelope both ways, the backend's
 * `code` and `param` kept).
 *
 * The gateway reads back two things: {@link ResponsesToChat.droppedTools} after `request()` (for
 * a response header), and the final `Response` through `onResponse` (for the response store).
 * @module
 */
import { type OpenAIErrorBody, openAIError } from "../openai/errors.js";
import type { ReasoningSealer } from "../responses/sealed-reasoning.js";
import type { ResponsesCreateRequest, ResponsesResponse } from "../responses/types.js";
import { OPENAI_CHAT_PATH } from "./anthropic-to-openai.js";
import { randomIdSuffix } from "./ids.js";
import { isJsonObject } from "./json.js";
import { UNTRANSLATABLE_CODE } from "./openai-to-anthropic.js";
import { type ChatRequestPlan, chatRequest, type ResponseEcho } from "./responses-to-chat-request.js";
import { type ResponseContext, responseFromCompletion } from "./responses-to-chat-response.js";
import { ResponsesToChatStream } from "./responses-to-chat-stream.js";
import { type HostedToolPolicy, ToolNames } from "./responses-to-chat-tools.js";
import type { RequestTranslation, StreamConverter, Translator, TranslatorOptions } from "./translator.js";
import { describeRefusal } from "./untranslatable.js";
import { readUpstreamError } from "./upstream-error.js";

/** What a Responses translator takes besides the clock and ids. */
export interface ResponsesTranslatorOptions extends TranslatorOptions {
  /** Tools a chat backend cannot run: left out (`"drop"`, the default) or refused with a 400. */
  readonly hostedTools?: HostedToolPolicy;
  /** Seals reasoning for `include: ["reasoning.encrypted_content"]` and opens it on the way in. */
  readonly sealer?: ReasoningSealer;
  /** The `previous_response_id` the response echoes (the gateway resolved the chain). */
  readonly previousResponseId?: string;
  /** The `store` the response echoes (whether the gateway keeps it); defaults to the request's. */
  readonly store?: boolean;
  /**
   * Called exactly once with the final `Response`: the JSON answer, or the one in the stream's
   * `response.completed`/`.incomplete`/`.failed`. Never for an upstream error status. It runs inside
   * the translator and must not throw.
   */
  readonly onResponse?: (response: ResponsesResponse) => void;
}

/** A translator for Responses API clients; the gateway reads `droppedTools` after `request()`. */
export interface ResponsesTranslator extends Translator {
  readonly client: "responses";
  /** Tools left out of the upstream request, as `type` or `type:name`; empty before `request()`. */
  readonly droppedTools: readonly string[];
}

const NO_ECHO: ResponseEcho = {
  model: "",
  instructions: null,
  tools: [],
  tool_choice: "auto",
  parallel_tool_calls: true,
  text: { format: { type: "text" } },
  reasoning: null,
  max_output_tokens: null,
  metadata: {},
  temperature: null,
  top_p: null,
  store: true,
  previous_response_id: null,
  truncation: "disabled",
  optional: {},
};

/** Responses client, chat completions backend. One instance per request. */
export class ResponsesToChat implements ResponsesTranslator {
  readonly client = "responses";
  readonly backend = "openai";
  readonly pipesBytes = false;
  readonly #options: ResponsesTranslatorOptions;
  readonly #now: () => number;
  readonly #newId: () => string;
  #plan: ChatRequestPlan | undefined;
  /** When the request came (seconds), as every answer's `created_at`. */
  #createdAt: number | undefined;

  constructor(options: ResponsesTranslatorOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomIdSuffix;
  }

  get droppedTools(): readonly string[] {
    return this.#plan?.dropped ?? [];
  }

  request(body: unknown): RequestTranslation {
    this.#createdAt = this.#seconds();
    try {
      const policy = this.#options.hostedTools ?? "drop";
      this.#plan = chatRequest(body as ResponsesCreateRequest, policy, this.#options.sealer);
      return { ok: true, body: this.#plan.body, path: OPENAI_CHAT_PATH, headers: {} };
    } catch (error) {
      const { message, param } = describeRefusal(error);
      return { ok: false, status: 400, body: openAIError(400, message, UNTRANSLATABLE_CODE, param) };
    }
  }

  response(body: unknown): ResponsesResponse {
    const response = responseFromCompletion(body, this.#context(), this.#seconds());
    this.#options.onResponse?.(response);
    return response;
  }

  error(status: number, body: unknown): OpenAIErrorBody {
    const error = readUpstreamError(body, status);
    const inner = isJsonObject(body) && isJsonObject(body.error) ? body.error : undefined;
    const param = typeof inner?.param === "string" ? inner.param : null;
    return openAIError(status, error.message, typeof error.code === "string" ? error.code : null, param);
  }

  stream(): StreamConverter {
    return new ResponsesToChatStream(this.#context(), {
      now: () => this.#seconds(),
      onResponse: this.#options.onResponse,
    });
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  /** The response's identity and echo; fresh for each answer, though a request has only one. */
  #context(): ResponseContext {
    const plan = this.#plan;
    const echo: ResponseEcho = {
      ...(plan?.echo ?? NO_ECHO),
      ...(this.#options.store === undefined ? {} : { store: this.#options.store }),
      ...(this.#options.previousResponseId === undefined
        ? {}
        : { previous_response_id: this.#options.previousResponseId }),
    };
    const sealer = this.#options.sealer;
    return {
      id: `resp_${this.#newId()}`,
      createdAt: this.#createdAt ?? this.#seconds(),
      echo,
      names: plan?.names ?? new ToolNames(),
      seal: plan?.sealReasoning === true && sealer !== undefined ? (value) => sealer.seal(value) : undefined,
      newId: this.#newId,
    };
  }
}

/** The translator for a Responses client whose request goes to a chat completions backend. */
export function createResponsesToChat(options?: ResponsesTranslatorOptions): ResponsesToChat {
  return new ResponsesToChat(options);
}
