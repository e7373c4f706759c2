/**
 * `POST /v1/completions`: a raw prompt (special tokens parsed, as llama.cpp's server does) continued by
 * the model, JSON or SSE. No chat template and no reasoning separation: the text comes back as generated.
 * @module
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { type CompletionRequest, parseCompletionRequest } from "../chat-request.js";
import {
  type ResponseMeta,
  textCompletion,
  textCompletionChunk,
  textCompletionUsageChunk,
} from "../chat-response.js";
import type { ServeContext } from "../context.js";
import { checkContextFit } from "../context-limit.js";
import type { GenerationJob, PreparedCompletion, ServeEngine } from "../engine.js";
import { toServeError } from "../errors.js";
import type { RequestOutcome } from "../metrics.js";
import { abandon, clientGoneSignal, inSlot, once } from "../slot.js";
import { SseWriter } from "../sse-writer.js";

interface CompletionRun {
  readonly context: ServeContext;
  readonly engine: ServeEngine;
  readonly request: CompletionRequest;
  readonly prepared: PreparedCompletion;
  readonly meta: ResponseMeta;
  readonly signal: AbortSignal;
}

function job(run: CompletionRun, onText: (text: string) => void): GenerationJob {
  const onFirst = once(run.context.metrics.timeToFirstToken.startTimer({ route: "completions" }));
  return {
    sampling: run.request.sampling,
    format: { kind: "text" },
    signal: run.signal,
    onPiece: (piece) => {
      onFirst();
      onText(piece.text);
    },
  };
}

async function stream(run: CompletionRun, reply: FastifyReply): Promise<RequestOutcome> {
  const writer = new SseWriter(reply);
  try {
    const outcome = await run.engine.generateCompletion(
      run.prepared,
      job(run, (text) => writer.send([textCompletionChunk(run.meta, text, null)])),
    );
    run.context.metrics.generatedTokens.inc(outcome.completionTokens);
    if (outcome.stop === "abort") {
      writer.abandon();
      return "cancelled";
    }
    const tokens = { prompt: run.prepared.promptTokens, completion: outcome.completionTokens };
    const tail: unknown[] = [textCompletionChunk(run.meta, "", outcome.stop)];
    if (run.request.includeUsage) tail.push(textCompletionUsageChunk(run.meta, tokens));
    writer.send(tail);
    writer.done();
    return "ok";
  } catch (error) {
    const failure = toServeError(error);
    if (failure.code === "SWY_ERR_SERVE_INTERNAL") {
      reply.log.error({ err: error, requestId: reply.request.id }, "completion stream failed");
    }
    writer.fail(failure);
    return failure.status < 500 ? "client_error" : "error";
  }
}

async function answer(run: CompletionRun, reply: FastifyReply): Promise<RequestOutcome> {
  let text = "";
  const outcome = await run.engine.generateCompletion(
    run.prepared,
    job(run, (piece) => {
      text += piece;
    }),
  );
  run.context.metrics.generatedTokens.inc(outcome.completionTokens);
  if (outcome.stop === "abort") {
    abandon(reply);
    return "cancelled";
  }
  const tokens = { prompt: run.prepared.promptTokens, completion: outcome.completionTokens };
  await reply.send(textCompletion(run.meta, text, outcome.stop, tokens));
  return "ok";
}

export function registerCompletionsRoute(app: FastifyInstance, context: ServeContext): void {
  app.post("/v1/completions", async (request, reply) => {
    const signal = clientGoneSignal(reply);
    const engine = context.requireEngine();
    const completion = parseCompletionRequest(request.body);
    context.checkModel(completion.model);
    const prepared = await engine.prepareCompletion(completion.prompt, { kind: "text" });
    checkContextFit({
      contextSize: engine.info.contextSize,
      promptTokens: prepared.promptTokens,
      maxTokens: completion.sampling.maxTokens,
      promptParam: "prompt",
      maxTokensParam: completion.maxTokensParam,
    });
    const run: CompletionRun = {
      context,
      engine,
      request: completion,
      prepared,
      meta: { id: context.nextId("cmpl-"), created: Math.floor(Date.now() / 1000), model: context.modelName },
      signal,
    };
    const outcome = await inSlot(context, "completions", signal, () => {
      context.metrics.promptTokens.inc(prepared.promptTokens);
      return completion.stream ? stream(run, reply) : answer(run, reply);
    });
    if (outcome === undefined) abandon(reply);
    context.metrics.requests.inc({ route: "completions", outcome: outcome ?? "cancelled" });
  });
}
