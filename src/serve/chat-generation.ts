/**
 * One chat generation from a prepared prompt to a finished body, with the JSON-output policy:
 *
 * - The output of a `json_object` / `json_schema` request is checked after generation (it must parse and,
 *   for a schema, validate with Ajv: the grammar guarantees syntax, not every keyword).
 * - When the check fails and sampling is random (temperature > 0), generation runs once more with
 *   another seed; a deterministic request would only repeat itself, so it is not retried.
 * - Still invalid: a 500 `invalid_model_output` naming what is wrong. Invalid JSON is never sent as a
 *   successful answer.
 * - Cut short by `max_tokens` (`finish_reason: "length"`): the partial text is returned as it is, as
 *   OpenAI does; the finish reason tells the client it is incomplete.
 * @module
 */
import type { ChatCompletion, ResponseSeparationOptions } from "../reasoning/openai-response.js";
import type { ChatRequest } from "./chat-request.js";
import { answerOf, chatCompletion, type ResponseMeta } from "./chat-response.js";
import type { GeneratedPiece, PreparedChat, ServeEngine } from "./engine.js";
import { ServeError } from "./errors.js";
import type { ServeMetrics } from "./metrics.js";
import { ReasoningMarkup } from "./reasoning-markup.js";
import { checkOutput } from "./response-format.js";
import type { Sampling } from "./sampling.js";

/** A finished generation: the separated body and the marked-up text it came from. */
export interface WholeChat {
  readonly completion: ChatCompletion;
  readonly text: string;
  readonly completionTokens: number;
}

/** Everything one chat generation needs. */
export interface ChatRun {
  readonly engine: ServeEngine;
  readonly metrics: ServeMetrics;
  readonly request: ChatRequest;
  readonly prepared: PreparedChat;
  readonly meta: ResponseMeta;
  readonly separation: ResponseSeparationOptions;
  readonly signal: AbortSignal;
  /** Called at every piece; only the first call counts (the time-to-first-token histogram). */
  readonly onFirstText: () => void;
}

const MAX_ATTEMPTS = 2;

/** Sampling for attempt `attempt` (0-based): a retry draws with another seed. */
function attemptSampling(sampling: Sampling, attempt: number): Sampling {
  if (attempt === 0 || sampling.seed === undefined) return sampling;
  return { ...sampling, seed: sampling.seed + attempt };
}

/**
 * Generates the whole response, applying the JSON-output policy. Resolves `undefined` when the client
 * went away; throws `SWY_ERR_SERVE_INVALID_OUTPUT` when the output stays invalid.
 */
export async function generateWholeChat(run: ChatRun): Promise<WholeChat | undefined> {
  const { request, engine, metrics } = run;
  const attempts = request.format.kind !== "text" && request.sampling.temperature > 0 ? MAX_ATTEMPTS : 1;
  let reason = "";
  for (let attempt = 0; attempt < attempts; attempt++) {
    const markup = new ReasoningMarkup(run.separation.modelType);
    let text = "";
    const outcome = await engine.generateChat(run.prepared, {
      sampling: attemptSampling(request.sampling, attempt),
      format: request.format,
      signal: run.signal,
      onPiece: (piece: GeneratedPiece) => {
        run.onFirstText();
        text += markup.write(piece);
      },
    });
    metrics.generatedTokens.inc(outcome.completionTokens);
    if (outcome.stop === "abort") return undefined;
    const tokens = { prompt: run.prepared.promptTokens, completion: outcome.completionTokens };
    const completion = chatCompletion(run.meta, text, outcome.stop, tokens, run.separation);
    if (outcome.stop === "length") return { completion, text, completionTokens: outcome.completionTokens };
    const check = checkOutput(request.format, answerOf(completion));
    if (check.ok) return { completion, text, completionTokens: outcome.completionTokens };
    reason = check.reason;
  }
  const tried = attempts === 1 ? "" : ` (after ${attempts} attempts)`;
  throw new ServeError(
    "SWY_ERR_SERVE_INVALID_OUTPUT",
    `The model's output does not satisfy response_format ${request.format.kind}${tried}: ${reason}`,
    { param: "response_format" },
  );
}
