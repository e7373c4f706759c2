/**
 * The Anthropic Messages API: `POST /v1/messages`, JSON or SSE. `x-api-key` and `anthropic-version` are
 * accepted and otherwise ignored (the key is counted in the stats). With `--reasoning think|harmony`, a
 * request asking for `thinking: {type: "enabled"}` gets the thought as a thinking block; otherwise the
 * raw markup stays in the text, as a model without a reasoning parser would send it.
 *
 * `POST /v1/messages/count_tokens` answers `{input_tokens}`: what the same body sent to `/v1/messages`
 * reports as `usage.input_tokens`. Routes match the path, so `?beta=true` (Claude Code) is fine.
 * With `--native-apis messages`, answers carry `x-mock-native: messages` (native.ts).
 * @module
 */
import type { FastifyInstance } from "fastify";
import { anthropicMessage, anthropicStream } from "./anthropic-format.js";
import type { MockContext } from "./context.js";
import { serveCount } from "./counting.js";
import { serveInference } from "./inference.js";
import { markNative } from "./native.js";
import { parseCountTokensRequest, parseMessagesRequest } from "./requests.js";
import { countPromptTokens, plannedTokens } from "./script.js";

export function registerAnthropicRoutes(app: FastifyInstance, context: MockContext): void {
  app.post("/v1/messages", (request, reply) => {
    markNative(context, reply, "messages");
    return serveInference(context, request, reply, {
      route: "messages",
      protocol: "anthropic",
      parsed: parseMessagesRequest(request.body),
      build: (message) => {
        const { plan, promptTokens } = context.plan(message, message.thinking);
        const meta = { id: context.nextId("msg_"), model: message.model };
        const outputTokens = plannedTokens(plan);
        if (message.stream) return { stream: anthropicStream(meta, plan, promptTokens), outputTokens };
        return { json: anthropicMessage(meta, plan, promptTokens), outputTokens };
      },
    });
  });

  app.post("/v1/messages/count_tokens", (request, reply) => {
    markNative(context, reply, "messages");
    return serveCount(context, request, reply, {
      route: "count_tokens",
      protocol: "anthropic",
      parsed: parseCountTokensRequest(request.body),
      answer: (count) => ({ input_tokens: countPromptTokens(count.promptTexts) }),
    });
  });
}
