/**
 * The OpenAI Responses API in front: `POST /v1/responses`, answered by backends that serve it
 * themselves (`native_apis: [responses]`) as they are, and by chat-completions and Anthropic
 * backends through the Responses bridge. With `store` on (the API's default) the answer is kept, so
 * `previous_response_id` continues the conversation on any backend; the read and delete routes are
 * in response-store.ts.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { checkRequest } from "../../protocol/openai/requests.js";
import {
  type ResponsesRequest,
  responsesRequestSchema,
  unsupportedResponsesParameter,
} from "../../protocol/openai/responses-request.js";
import { promptPrefix } from "../../protocol/prompt-prefix.js";
import { conversationOf } from "../../state/response-store/response-store.js";
import type { GatewayContext } from "../context.js";
import { ENDPOINTS } from "../endpoint.js";
import { GatewayError } from "../errors.js";
import { inferenceRouteHooks } from "../inference-route.js";
import { proxy } from "../pipeline.js";
import { inputItems, type ResponseItem, withIds } from "../response-chain.js";
import { previousResponseNotFound } from "../response-store-call.js";
import { assertMessageCount } from "./message-limit.js";
import { routingHints } from "./routing-hints.js";
import { REASONING_SEPARATED } from "./separated-reasoning.js";

export function responsesRoutes(ctx: GatewayContext) {
  return async function responsesRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.post(ENDPOINTS.responses.path, inferenceRouteHooks(ctx, ENDPOINTS.responses), (request, reply) =>
      handleResponses(ctx, request, reply),
    );
  };
}

async function handleResponses(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const check = checkRequest(responsesRequestSchema, request.body);
  if (!check.ok) {
    throw new GatewayError(
      "SWY_ERR_INVALID_REQUEST",
      check.message,
      check.param ? { param: check.param } : {},
    );
  }
  const body = request.body as ResponsesRequest & Record<string, unknown>;
  const unsupported = unsupportedResponsesParameter(body);
  if (unsupported) {
    throw new GatewayError("SWY_ERR_INVALID_REQUEST", unsupported.message, { param: unsupported.param });
  }
  const ownItems = inputItems(body.input);
  assertMessageCount({ messages: ownItems }, ctx.config.max_messages);
  const previousId = body.previous_response_id ?? undefined;
  const earlier = previousId ? await earlierTurns(ctx, previousId) : [];
  const conversation = [...earlier, ...ownItems];
  // A continued chain goes upstream whole: the backend that answers may not be the one that holds it.
  const upstreamBody: Record<string, unknown> = previousId
    ? { ...body, input: conversation, previous_response_id: undefined }
    : body;
  const keep = body.store !== false;
  const stored = keep ? withIds(conversation) : [];
  const hints = routingHints(request);
  let kept: Promise<void> | undefined;
  await proxy(ctx, request, reply, {
    endpoint: ENDPOINTS.responses,
    fields: {
      model: body.model,
      stream: body.stream === true,
      user: body.user,
      promptPrefix: promptPrefix(body.instructions ?? undefined, conversation),
      prompt: { leading: body.instructions ?? undefined, tools: body.tools, messages: conversation },
    },
    rawBody: previousId
      ? Buffer.from(JSON.stringify(upstreamBody))
      : (request.rawBody ?? Buffer.from(JSON.stringify(body))),
    parsedBody: upstreamBody,
    reasoning: { request: REASONING_SEPARATED, separate: true },
    forcedNode: hints.forcedNode,
    debug: hints.debug,
    resume: false,
    // The prompt-cache key names a conversation, and so does a stored chain's first item: its
    // turns land where its prefix is warm.
    sessionKey: body.prompt_cache_key ?? chainKey(stored) ?? body.user ?? hints.sessionHeader,
    responses: {
      previousResponseId: previousId,
      store: keep,
      onResponse: keep
        ? (response) => {
            const id = response.id;
            if (typeof id !== "string") return;
            kept = ctx.responses.keep({ id, response, input: stored, createdAt: Date.now() });
          }
        : undefined,
      kept: () => kept,
    },
  });
}

/** The id of a stored conversation's first item: the same on every turn of one chain. */
function chainKey(conversation: readonly ResponseItem[]): string | undefined {
  const first = conversation[0]?.id;
  return typeof first === "string" ? first : undefined;
}

/** The conversation `previous_response_id` continues: 404 in OpenAI's shape when it is not stored. */
async function earlierTurns(ctx: GatewayContext, id: string): Promise<ResponseItem[]> {
  const entry = await ctx.responses.get(id);
  if (!entry) throw previousResponseNotFound(id);
  return inputItems(conversationOf(entry));
}
