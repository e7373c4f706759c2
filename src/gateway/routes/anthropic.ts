/**
 * Anthropic's Messages API in front: `POST /v1/messages`, answered by Anthropic backends as they
 * are and by OpenAI-compatible ones through the translator, and `POST /v1/messages/count_tokens`
 * (count-tokens.ts). Errors come back in Anthropic's format (the route's endpoint descriptor says
 * so). Routes match on the path: Claude Code's `?beta=true` changes nothing.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { messagesRequestSchema } from "../../protocol/anthropic/requests.js";
import { promptPrefix } from "../../protocol/prompt-prefix.js";
import type { GatewayContext } from "../context.js";
import { ENDPOINTS } from "../endpoint.js";
import { GatewayError } from "../errors.js";
import { inferenceRouteHooks } from "../inference-route.js";
import { proxy } from "../pipeline.js";
import { registerCountTokens } from "./count-tokens.js";
import { assertMessageCount } from "./message-limit.js";
import { routingHints, wantsResume } from "./routing-hints.js";
import { REASONING_SEPARATED } from "./separated-reasoning.js";

/**
 * An Anthropic client that enables thinking wants reasoning as thinking blocks (REASONING_SEPARATED).
 * Adaptive thinking (Claude Code on newer models) asks for thinking as much as a fixed budget does.
 */
function wantsThinking(type: unknown): boolean {
  return type === "enabled" || type === "adaptive";
}

export function anthropicRoutes(ctx: GatewayContext) {
  return async function anthropicRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.post(ENDPOINTS.messages.path, inferenceRouteHooks(ctx, ENDPOINTS.messages), (request, reply) =>
      handleMessages(ctx, request, reply),
    );
    registerCountTokens(app, ctx);
  };
}

async function handleMessages(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("SWY_ERR_INVALID_REQUEST", "The request body must be a JSON object.");
  }
  assertMessageCount(body, ctx.config.max_messages);
  const result = messagesRequestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".") || "body";
    throw new GatewayError("SWY_ERR_INVALID_REQUEST", `${field}: ${issue.message}`, { param: field });
  }
  const parsed = result.data;
  const thinking = (body as { thinking?: { type?: unknown } }).thinking;
  const userId = parsed.metadata?.user_id;
  const hints = routingHints(request);
  await proxy(ctx, request, reply, {
    endpoint: ENDPOINTS.messages,
    fields: {
      model: parsed.model,
      stream: parsed.stream === true,
      user: userId,
      promptPrefix: promptPrefix(parsed.system, parsed.messages),
      prompt: {
        leading: parsed.system,
        tools: (body as { tools?: unknown }).tools,
        messages: parsed.messages,
      },
    },
    rawBody: request.rawBody ?? Buffer.from(JSON.stringify(body)),
    parsedBody: body as Record<string, unknown>,
    reasoning: wantsThinking(thinking?.type) ? { request: REASONING_SEPARATED, separate: true } : undefined,
    forcedNode: hints.forcedNode,
    debug: hints.debug,
    resume: ENDPOINTS.messages.resumes && wantsResume(hints, ctx.config.stream_resume),
    sessionKey: userId ?? hints.sessionHeader,
  });
}
