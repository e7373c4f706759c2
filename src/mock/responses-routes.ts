/**
 * The OpenAI Responses API served natively (`--native-apis responses`), as vLLM, SGLang or Ollama serve
 * it: `POST /v1/responses`. Registered only with that flag, so a plain mock answers it 404, as a
 * chat-only engine does.
 *
 * Today the route is a seam: it answers 501 in OpenAI's error shape (marked `x-mock-native: responses`)
 * until the Responses translator lands; then it answers from the same plan as chat, through that
 * translator's response side.
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { MockContext } from "./context.js";
import { sendError } from "./errors.js";
import { markNative } from "./native.js";

export function registerResponsesRoutes(app: FastifyInstance, context: MockContext): void {
  app.post("/v1/responses", (_request, reply) => {
    markNative(context, reply, "responses");
    return sendError(reply, "openai", 501, "the mock does not answer /v1/responses yet", {
      code: "not_implemented",
    });
  });
}
