/**
 * Whether a request fits the model's context, decided before a slot is taken and before any stream
 * starts, the way OpenAI and vLLM decide it: the prompt plus the completion the client asked for
 * (`max_tokens`) must fit. A request that cannot is a 400 `context_length_exceeded` naming the context
 * size, the prompt's tokens and the requested completion, never a generation that overflows midway.
 * Without `max_tokens` the completion may use whatever the prompt leaves (see `llama-engine.ts`).
 * @module
 */
import { ServeError } from "./errors.js";

/** The request's numbers and the names of its fields, for the error. */
export interface ContextRequest {
  readonly contextSize: number;
  readonly promptTokens: number;
  /** The completion asked for; undefined: as much as fits. */
  readonly maxTokens: number | undefined;
  /** `messages` (chat) or `prompt` (completions). */
  readonly promptParam: string;
  /** `max_tokens` or `max_completion_tokens`, whichever the client sent. */
  readonly maxTokensParam: string;
}

/** Throws a 400 `context_length_exceeded` when the request cannot fit the context. */
export function checkContextFit(request: ContextRequest): void {
  const { contextSize, promptTokens, maxTokens } = request;
  const what = request.promptParam === "prompt" ? "prompt" : "messages";
  const prefix = `This model's maximum context length is ${contextSize} tokens.`;
  // At least one token must be left to generate.
  if (promptTokens >= contextSize) {
    const asked =
      maxTokens === undefined
        ? `However, your ${what} resulted in ${promptTokens} tokens.`
        : `However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the ${what}, ${maxTokens} in the completion).`;
    throw new ServeError(
      "SWY_ERR_SERVE_CONTEXT_LENGTH",
      `${prefix} ${asked} Please reduce the length of the ${what}.`,
      { param: request.promptParam },
    );
  }
  if (maxTokens !== undefined && promptTokens + maxTokens > contextSize) {
    throw new ServeError(
      "SWY_ERR_SERVE_CONTEXT_LENGTH",
      `${prefix} However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the ${what}, ` +
        `${maxTokens} in the completion). Please reduce the length of the ${what} or set ` +
        `${request.maxTokensParam} to at most ${contextSize - promptTokens}.`,
      { param: request.maxTokensParam },
    );
  }
}
