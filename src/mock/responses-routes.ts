/**
 * The OpenAI Responses API served natively (`--native-apis responses`), as vLLM, SGLang or Ollama serve
 * it: `POST /v1/responses`. Registered only with that flag, so a plain mock answers it 404, as a
 * chat-only engine does.
 *
 * The answer comes from the same plan as a chat reply, put into the Responses API's shape by the
 * gateway's own Responses translator: a real engine builds its answer from one generation the same
 * way. Every answer is marked `x-mock-native: responses`, so a test can tell that the gateway piped
 * it rather than bridged to `/v1/chat/completions`.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { parseFrames } from "../protocol/translate/compose.js";
import { createResponsesToChat, type ResponsesToChat } from "../protocol/translate/responses-to-chat.js";
import type { MockContext } from "./context.js";
import type { Delivery } from "./inference.js";
import { serveInference } from "./inference.js";
import { markNative } from "./native.js";
import { buildChat } from "./openai-routes.js";
import { parseChatRequest } from "./requests.js";
import type { StreamFrames } from "./stream-frames.js";

export function registerResponsesRoutes(app: FastifyInstance, context: MockContext): void {
  app.post("/v1/responses", (request, reply) => {
    markNative(context, reply, "responses");
    const translator = createResponsesToChat({ newId: () => context.nextId("") });
    const translated = translator.request(request.body);
    if (!translated.ok) return reply.code(translated.status).send(translated.body);
    return serveInference(context, request, reply, {
      route: "responses",
      protocol: "openai",
      parsed: parseChatRequest(translated.body),
      build: (chat) => asResponses(buildChat(context, chat), translator),
    });
  });
}

function asResponses(chat: Delivery, translator: ResponsesToChat): Delivery {
  const { outputTokens } = chat;
  if (!chat.stream) return { json: translator.response(chat.json), outputTokens };
  return { stream: convertFrames(chat.stream, translator), outputTokens };
}

/** Chat frames as Responses events, piece for piece, so token delays and drops cut where they did. */
function convertFrames(frames: StreamFrames, translator: ResponsesToChat): StreamFrames {
  const converter = translator.stream();
  const convert = (text: string) =>
    parseFrames([text])
      .flatMap((message) => converter.event(message))
      .join("");
  return {
    head: convert(frames.head),
    tokens: frames.tokens.map(convert),
    tail: convert(frames.tail) + converter.end().join(""),
  };
}
