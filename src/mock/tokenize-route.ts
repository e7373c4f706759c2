/**
 * `POST /tokenize`, as the engines a gateway counts tokens with serve it: vLLM's `{model, prompt}` or
 * `{model, messages}` → `{count, max_model_len, tokens}`, llama.cpp's `{content}` → `{tokens}`. Counted
 * with the mock's own tokenizer (script.ts), so a prompt or conversation counts exactly what the
 * matching completion or chat request reports as `prompt_tokens`. `--no-tokenize` leaves it out (404),
 * as an engine without the endpoint.
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { MockContext } from "./context.js";
import { serveCount } from "./counting.js";
import { parseTokenizeRequest, type TokenizeRequest } from "./requests.js";
import { MOCK_MAX_MODEL_LEN, promptTokenIds, tokenIds } from "./script.js";

function answer(request: TokenizeRequest) {
  if (request.shape === "llama.cpp") return { tokens: tokenIds(request.texts[0]!) };
  const tokens = promptTokenIds(request.texts);
  return { count: tokens.length, max_model_len: MOCK_MAX_MODEL_LEN, tokens };
}

export function registerTokenizeRoute(app: FastifyInstance, context: MockContext): void {
  app.post("/tokenize", (request, reply) =>
    serveCount(context, request, reply, {
      route: "tokenize",
      protocol: "openai",
      parsed: parseTokenizeRequest(request.body),
      answer,
    }),
  );
}
