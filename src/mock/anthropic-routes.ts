/**
 * The Anthropic Messages API: `POST /v1/messages`, JSON or SSE. `x-api-key` and `anthropic-version` are
 * accepted and otherwise ignored (the key is counted in the stats). With `--reasoning think|harmony`, a
 * request asking for `thinking: {type: "enabled"}` gets the thought as a thinking block; otherwise the
 * raw markup stays in the text, as a model without a reasoning parser would send it.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { anthropicMessage, anthropicStream } from "./anthropic-format.js";
import type { MockContext } from "./context.js";
import { serveInference } from "./inference.js";
import { parseMessagesRequest } from "./requests.js";

export function registerAnthropicRoutes(app: FastifyInstance, context: MockContext): void {
  app.post("/v1/messages", (request, reply) =>
    serveInference(context, request, reply, {
      route: "messages",
      protocol: "anthropic",
      parsed: parseMessagesRequest(request.body),
      build: (message) => {
        const { plan, promptTokens } = context.plan(message, message.thinking);
        const meta = { id: context.nextId("msg_"), model: message.model };
        if (message.stream) return { stream: anthropicStream(meta, plan, promptTokens) };
        return { json: anthropicMessage(meta, plan, promptTokens) };
      },
    }),
  );
}
