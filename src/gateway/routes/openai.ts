/**
 * The OpenAI-compatible surface: inference routes are proxied; the model list is the gateway's own
 * (every backend's models and what hosted services say they serve, de-duplicated), in Anthropic's
 * shape for a client that sends `anthropic-version` (anthropic-models.ts).
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import {
  chatRequestSchema,
  checkRequest,
  completionRequestSchema,
  embeddingRequestSchema,
} from "../../protocol/openai/requests.js";
import {
  hasReasoningExtension,
  parseReasoningRequest,
  stripReasoningFields,
} from "../../reasoning/request-options.js";
import type { GatewayContext } from "../context.js";
import { ENDPOINTS, type Endpoint } from "../endpoint.js";
import { GatewayError } from "../errors.js";
import { inferenceRouteHooks } from "../inference-route.js";
import { proxy } from "../pipeline.js";
import type { ProxyRequest } from "../proxy-request.js";
import { anthropicModel, anthropicModelList, wantsAnthropicShape } from "./anthropic-models.js";
import { assertMessageCount } from "./message-limit.js";
import { promptCacheKey, routingHints, wantsResume } from "./routing-hints.js";

interface InferenceRoute {
  endpoint: Endpoint;
  schema: z.ZodType;
}

const INFERENCE_ROUTES: readonly InferenceRoute[] = [
  { endpoint: ENDPOINTS.chat, schema: chatRequestSchema },
  { endpoint: ENDPOINTS.completions, schema: completionRequestSchema },
  { endpoint: ENDPOINTS.embeddings, schema: embeddingRequestSchema },
];

export function openAIRoutes(ctx: GatewayContext) {
  return async function openAIRoutesPlugin(app: FastifyInstance): Promise<void> {
    for (const inference of INFERENCE_ROUTES) {
      app.post(inference.endpoint.path, inferenceRouteHooks(ctx, inference.endpoint), (request, reply) =>
        handleInference(ctx, inference, request, reply),
      );
    }

    app.get("/v1/models", async (request, reply) => {
      const ids = new Set(ctx.registry.models());
      for (const id of await ctx.hostedModels.models()) ids.add(id);
      if (wantsAnthropicShape(request)) return anthropicModelList(request, reply, [...ids], ctx.startedAt);
      return { object: "list", data: [...ids].map((id) => modelEntry(ctx, id)) };
    });

    app.get<{ Params: { "*": string } }>("/v1/models/*", async (request, reply) => {
      const id = request.params["*"];
      const known = ctx.registry.serving(id).length > 0 || ctx.models.isSentinel(id);
      if (wantsAnthropicShape(request)) return anthropicModel(request, reply, id, known, ctx.startedAt);
      if (!known) {
        throw new GatewayError(
          "SWY_ERR_MODEL_NOT_FOUND",
          `The model '${id}' does not exist or no backend serves it.`,
          {
            param: "model",
          },
        );
      }
      return modelEntry(ctx, id);
    });
  };
}

function modelEntry(ctx: GatewayContext, id: string) {
  return { id, object: "model", created: Math.floor(ctx.startedAt / 1000), owned_by: "switchyard" };
}

async function handleInference(
  ctx: GatewayContext,
  inference: InferenceRoute,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { endpoint } = inference;
  if (endpoint.name === "chat") assertMessageCount(request.body, ctx.config.max_messages);
  const check = checkRequest(inference.schema, request.body);
  if (!check.ok) {
    throw new GatewayError(
      "SWY_ERR_INVALID_REQUEST",
      check.message,
      check.param ? { param: check.param } : {},
    );
  }
  const hints = routingHints(request);
  let body = request.body as Record<string, unknown>;
  let rawBody = request.rawBody ?? Buffer.from(JSON.stringify(body));
  let reasoning: ProxyRequest["reasoning"];
  if (endpoint.reasoning && hasReasoningExtension(body)) {
    const parsed = parseReasoningRequest(body);
    if (!parsed.ok) {
      const { message, param } = parsed.error;
      throw new GatewayError("SWY_ERR_INVALID_REQUEST", message, param ? { param } : {});
    }
    // Backends do not know the reasoning extension fields: they go as reasoning_effort and a developer message.
    reasoning = {
      request: parsed.request,
      separate: body.separate_thinking === true || "include_channels" in body,
    };
    body = stripReasoningFields(body);
    rawBody = Buffer.from(JSON.stringify(body));
  }
  await proxy(ctx, request, reply, {
    endpoint,
    fields: check.fields,
    rawBody,
    parsedBody: body,
    reasoning,
    forcedNode: hints.forcedNode,
    debug: hints.debug,
    resume: endpoint.resumes && wantsResume(hints, ctx.config.stream_resume),
    // The client's own cache key names the prefix it wants kept warm: the best affinity there is.
    sessionKey: promptCacheKey(body) ?? check.fields.user ?? hints.sessionHeader,
  });
}
