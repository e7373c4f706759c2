/**
 * The one path every inference request takes (chat, completions, embeddings, messages), in this order:
 * count it → 400 if invalid → 404 if the model is unknown → 429 above `--max-inflight` → fault decision
 * (fail / hang / drop / pass) → first-token delay → reply. Client mistakes are answered before any fault,
 * so an injected failure never hides a bad request.
 *
 * A request counts as in flight from admission until its response closes (finished, cut, or the client
 * left), exactly once.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { MockContext } from "./context.js";
import { cutAfter, sendStream, waitUnlessClosed } from "./delivery.js";
import { deliverFromEngine, outputTokensOf } from "./engine-delivery.js";
import type { EngineSim } from "./engine-sim/engine.js";
import { type Protocol, sendCodedError, sendError } from "./errors.js";
import { retryAfterFor } from "./faults.js";
import type { Parsed } from "./requests.js";
import { apiKeyOf, type CountedRoute } from "./stats.js";
import type { StreamFrames } from "./stream-frames.js";

export type InferenceRoute = Exclude<CountedRoute, "models" | "count_tokens" | "tokenize">;

/**
 * What a route answers once admitted: a JSON body, or pre-rendered stream frames; for a generation,
 * the tokens it generates (what the engine simulator paces).
 */
export type Delivery = (
  | { json: unknown; stream?: undefined }
  | { stream: StreamFrames; json?: undefined }
) & {
  outputTokens?: number;
};

export interface InferenceCall<T extends { model: string }> {
  route: InferenceRoute;
  protocol: Protocol;
  parsed: Parsed<T>;
  /** Builds the reply; called only for requests that pass admission and faults. */
  build(request: T): Delivery;
}

/** The message of a 404 for a model the mock does not serve, worded as each API words it. */
export function notFoundMessage(protocol: Protocol, model: string): string {
  return protocol === "anthropic"
    ? `model: ${model}`
    : `The model \`${model}\` does not exist or you do not have access to it.`;
}

/** Counts the request as it arrived, valid or not. */
function record(context: MockContext, route: InferenceRoute, request: FastifyRequest): void {
  const body = request.body as { model?: unknown; stream?: unknown } | null | undefined;
  const model = typeof body?.model === "string" ? body.model : null;
  context.stats.record(route, model, body?.stream === true, apiKeyOf(request.headers));
}

export async function serveInference<T extends { model: string }>(
  context: MockContext,
  request: FastifyRequest,
  reply: FastifyReply,
  call: InferenceCall<T>,
): Promise<void> {
  record(context, call.route, request);
  const { stats, faults } = context;
  const { parsed, protocol } = call;
  if (!parsed.ok) {
    stats.recordFailure();
    sendError(reply, protocol, 400, parsed.message, { param: parsed.param });
    return;
  }
  const model = parsed.value.model;
  if (!context.models.has(model)) {
    stats.recordFailure();
    sendCodedError(reply, protocol, "SWY_ERR_MODEL_NOT_FOUND", notFoundMessage(protocol, model), {
      param: "model",
    });
    return;
  }
  const settings = faults.settings;
  if (settings.maxInflight > 0 && stats.inflight >= settings.maxInflight) {
    stats.recordFailure();
    const message = `the mock is at its --max-inflight limit (${settings.maxInflight})`;
    sendCodedError(reply, protocol, "SWY_ERR_RATE_LIMITED", message);
    return;
  }

  const key = apiKeyOf(request.headers);
  const keyStatus = key === null ? undefined : settings.keyStatus[key];
  if (keyStatus !== undefined) {
    stats.recordFailure();
    sendError(reply, protocol, keyStatus, `injected answer for this API key (${keyStatus})`, {
      code: "key_fault",
      retryAfter: retryAfterFor(keyStatus, settings.retryAfterSeconds),
    });
    return;
  }

  const engineJob = context.engine ? engineJobFor(context.engine, call, parsed.value) : undefined;
  if (engineJob && "error" in engineJob) {
    stats.recordFailure();
    sendCodedError(reply, protocol, "SWY_ERR_SERVE_CONTEXT_LENGTH", engineJob.error, { param: "messages" });
    return;
  }

  const decision = faults.decide();
  if (decision === "fail") {
    stats.recordFailure();
    const message = `injected failure (--fail-rate ${settings.failRate})`;
    sendError(reply, protocol, settings.failStatus, message, {
      code: "injected_failure",
      retryAfter: retryAfterFor(settings.failStatus, settings.retryAfterSeconds),
    });
    return;
  }

  const response = reply.raw;
  response.once("close", stats.begin());
  if (decision === "hang") {
    // Accepted and never answered: the close listener above ends it when the client (or close()) leaves.
    reply.hijack();
    return;
  }
  const drop = decision === "drop";
  if (drop) stats.recordFailure();
  if (engineJob) {
    await deliverFromEngine(context.engine!, reply, { ...engineJob, drop });
    return;
  }
  const delivery = call.build(parsed.value);
  if (delivery.stream) {
    reply.hijack();
    await sendStream(response, delivery.stream, settings, drop);
    return;
  }
  if (settings.firstTokenDelayMs > 0 && !(await waitUnlessClosed(response, settings.firstTokenDelayMs))) {
    reply.hijack();
    return;
  }
  if (drop) {
    reply.hijack();
    cutAfter(response, "");
    return;
  }
  reply.send(delivery.json);
}

/**
 * With `--engine-sim`, a generation's reply and rendered prompt, built before any fault so that a
 * request that can never fit the simulated KV cache is a client mistake (400), as vLLM answers a
 * prompt beyond its context. Undefined for requests the engine does not run (embeddings).
 */
function engineJobFor<T extends { model: string }>(
  engine: EngineSim,
  call: InferenceCall<T>,
  request: T,
): { prompt: string; delivery: Delivery } | { error: string } | undefined {
  const render = (request as { renderPrompt?: () => string }).renderPrompt;
  if (render === undefined) return undefined;
  const prompt = render();
  const delivery = call.build(request);
  const promptTokens = engine.promptTokens(prompt);
  const outputTokens = outputTokensOf(delivery);
  if (engine.fits(promptTokens, outputTokens)) return { prompt, delivery };
  return {
    error:
      `This model's KV cache holds ${engine.scheduler.maxSequenceTokens} tokens; the request needs ` +
      `${promptTokens + outputTokens} (${promptTokens} in the prompt, ${outputTokens} to generate).`,
  };
}
