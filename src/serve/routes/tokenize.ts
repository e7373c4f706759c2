/**
 * `POST /tokenize` with the loaded model's own tokenizer, in the shapes the engines a gateway counts
 * tokens with answer: vLLM's `{model?, messages}` or `{model?, prompt}` → `{count, max_model_len,
 * tokens}`, llama.cpp's `{content}` → `{tokens}`. `messages` go through the chat template the chat
 * route renders (same wrapper, same reasoning effort), so `count` is that chat's `prompt_tokens`; a
 * prompt or content is read as `/v1/completions` reads a prompt (special tokens parsed), so `count` is
 * that completion's `prompt_tokens`. Tokenizing takes no queue slot: it runs no model.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { checkRequest } from "../../protocol/openai/requests.js";
import { parseChatPrompt } from "../chat-request.js";
import type { ServeContext } from "../context.js";
import type { ServeEngine } from "../engine.js";
import { ServeError } from "../errors.js";

const tokenizeSchema = z.looseObject({
  model: z.string().min(1).optional(),
  messages: z
    .array(z.looseObject({ role: z.string().min(1) }))
    .min(1)
    .optional(),
  prompt: z.string().optional(),
  content: z.string().optional(),
});

type TokenizeBody = z.infer<typeof tokenizeSchema>;

function invalid(message: string, param: string | null): ServeError {
  return new ServeError("SWY_ERR_SERVE_INVALID_REQUEST", message, { param });
}

function checkBody(body: unknown): TokenizeBody {
  const check = checkRequest(tokenizeSchema, body);
  if (!check.ok) throw invalid(check.message, check.param);
  const fields = body as TokenizeBody;
  if (fields.messages === undefined && fields.prompt === undefined && fields.content === undefined) {
    throw invalid("Missing required parameter: one of 'prompt', 'messages' or 'content'.", "prompt");
  }
  return fields;
}

function answer(engine: ServeEngine, body: TokenizeBody) {
  if (body.messages === undefined && body.prompt === undefined) {
    return { tokens: engine.tokenizePrompt(body.content!) };
  }
  let tokens: readonly number[];
  if (body.messages !== undefined) {
    const prompt = parseChatPrompt(body);
    tokens = engine.tokenizeChat(prompt.history, prompt.reasoning.effort);
  } else {
    tokens = engine.tokenizePrompt(body.prompt!);
  }
  return { count: tokens.length, max_model_len: engine.info.contextSize, tokens };
}

export function registerTokenizeRoute(app: FastifyInstance, context: ServeContext): void {
  app.post("/tokenize", async (request) => {
    const engine = context.requireEngine();
    const body = checkBody(request.body);
    if (body.model !== undefined) context.checkModel(body.model);
    return answer(engine, body);
  });
}
