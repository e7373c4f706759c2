/**
 * The OpenAI-compatible routes: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` (inference:
 * faults apply) and `/v1/models` (never faulted).
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { MockContext } from "./context.js";
import { type Delivery, serveInference } from "./inference.js";
import {
  chatCompletion,
  chatStream,
  completionStream,
  embeddingList,
  modelList,
  type ResponseMeta,
  textCompletion,
  usageOf,
} from "./openai-format.js";
import {
  type GenerationRequest,
  parseChatRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
} from "./requests.js";
import { embedVector, plannedTokens } from "./script.js";
import { apiKeyOf } from "./stats.js";

function meta(context: MockContext, prefix: string, model: string): ResponseMeta {
  return {
    id: context.nextId(prefix),
    created: Math.floor(Date.now() / 1000),
    model,
    fingerprint: context.fingerprint,
  };
}

/** The chat reply to a parsed chat request: its JSON body, or its stream frames. */
export function buildChat(context: MockContext, request: GenerationRequest): Delivery {
  const { plan, promptTokens } = context.plan(request);
  const outputTokens = plannedTokens(plan);
  const usage = usageOf(promptTokens, outputTokens);
  const response = meta(context, "chatcmpl-", request.model);
  if (request.stream) {
    return { stream: chatStream(response, plan, request.includeUsage ? usage : undefined), outputTokens };
  }
  return { json: chatCompletion(response, plan, usage), outputTokens };
}

function buildCompletion(context: MockContext, request: GenerationRequest): Delivery {
  const { plan, promptTokens } = context.plan(request);
  const outputTokens = plan.text.length;
  const usage = usageOf(promptTokens, outputTokens);
  const response = meta(context, "cmpl-", request.model);
  if (request.stream) {
    return {
      stream: completionStream(response, plan, request.includeUsage ? usage : undefined),
      outputTokens,
    };
  }
  return { json: textCompletion(response, plan, usage), outputTokens };
}

export function registerOpenAIRoutes(app: FastifyInstance, context: MockContext): void {
  app.post("/v1/chat/completions", (request, reply) =>
    serveInference(context, request, reply, {
      route: "chat",
      protocol: "openai",
      parsed: parseChatRequest(request.body),
      build: (chat) => buildChat(context, chat),
    }),
  );

  app.post("/v1/completions", (request, reply) =>
    serveInference(context, request, reply, {
      route: "completions",
      protocol: "openai",
      parsed: parseCompletionRequest(request.body),
      build: (completion) => buildCompletion(context, completion),
    }),
  );

  app.post("/v1/embeddings", (request, reply) =>
    serveInference(context, request, reply, {
      route: "embeddings",
      protocol: "openai",
      parsed: parseEmbeddingRequest(request.body),
      build: (embedding) => {
        const dimensions = embedding.dimensions ?? context.options.embeddingDim;
        const vectors = embedding.inputs.map((input) => embedVector(input.content, dimensions));
        const tokens = embedding.inputs.reduce((sum, input) => sum + input.tokens, 0);
        return { json: embeddingList(embedding.model, vectors, embedding.encoding, Math.max(1, tokens)) };
      },
    }),
  );

  app.get("/v1/models", async (request) => {
    context.stats.record("models", null, false, apiKeyOf(request.headers));
    return modelList(context.models, context.startedAt);
  });
}
