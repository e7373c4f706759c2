/**
 * `POST /v1/chat/completions`: check the request, render the prompt, wait for a slot, generate; JSON or
 * SSE. Streams of plain text and of `json_object` go out token by token (a grammar keeps JSON mode
 * parseable); a `json_schema` stream is generated whole and validated first (see `chat-generation.ts`),
 * then sent as a short stream, so no client ever receives output that breaks its schema.
 * @module
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ResponseSeparationOptions } from "../../reasoning/openai-response.js";
import { type ChatRun, generateWholeChat } from "../chat-generation.js";
import { type ChatRequest, parseChatRequest } from "../chat-request.js";
import { ChatChunkWriter, type ResponseMeta } from "../chat-response.js";
import type { ServeContext } from "../context.js";
import { checkContextFit } from "../context-limit.js";
import type { PreparedChat, ServeEngine } from "../engine.js";
import { toServeError } from "../errors.js";
import type { RequestOutcome } from "../metrics.js";
import { ReasoningMarkup } from "../reasoning-markup.js";
import { abandon, clientGoneSignal, inSlot, once } from "../slot.js";
import { SseWriter } from "../sse-writer.js";

function separationFor(
  context: ServeContext,
  request: ChatRequest,
  engine: ServeEngine,
): ResponseSeparationOptions {
  return {
    modelType: context.options.modelType,
    separateThinking: request.reasoning.separateThinking,
    includeChannels: request.reasoning.includeChannels,
    reasoningLevel: request.reasoning.effort,
    countTokens: (text) => engine.countTokens(text),
    // The chat wrapper already turned prompt-opened thinking into segments (see reasoning-markup.ts).
    implicitOpen: false,
  };
}

/** Live stream: pieces go out as they are generated. */
async function streamLive(run: ChatRun, writer: SseWriter): Promise<boolean> {
  const markup = new ReasoningMarkup(run.separation.modelType);
  const chunks = new ChatChunkWriter(run.meta, run.separation, run.request.includeUsage);
  writer.send(chunks.start());
  const outcome = await run.engine.generateChat(run.prepared, {
    sampling: run.request.sampling,
    format: run.request.format,
    signal: run.signal,
    onPiece: (piece) => {
      run.onFirstText();
      writer.send(chunks.text(markup.write(piece)));
    },
  });
  run.metrics.generatedTokens.inc(outcome.completionTokens);
  if (outcome.stop === "abort") return false;
  const tokens = { prompt: run.prepared.promptTokens, completion: outcome.completionTokens };
  writer.send(chunks.finish(outcome.stop, tokens));
  return true;
}

/**
 * Validated stream (`json_schema`): the whole answer is generated and checked before the headers go out,
 * so an answer that stays invalid is a plain 500 error response, and a valid one a short stream.
 */
async function streamValidated(run: ChatRun, reply: FastifyReply): Promise<RequestOutcome> {
  const whole = await generateWholeChat(run);
  if (whole === undefined) {
    abandon(reply);
    return "cancelled";
  }
  const chunks = new ChatChunkWriter(run.meta, run.separation, run.request.includeUsage);
  const finish = whole.completion.choices?.[0]?.finish_reason === "length" ? "length" : "stop";
  const tokens = { prompt: run.prepared.promptTokens, completion: whole.completionTokens };
  const writer = new SseWriter(reply);
  writer.send([...chunks.start(), ...chunks.text(whole.text), ...chunks.finish(finish, tokens)]);
  writer.done();
  return "ok";
}

/** Streams as generated; failures after the headers end the stream with an error event. */
async function streamLiveResponse(run: ChatRun, reply: FastifyReply): Promise<RequestOutcome> {
  const writer = new SseWriter(reply);
  try {
    if (!(await streamLive(run, writer))) {
      writer.abandon();
      return "cancelled";
    }
    writer.done();
    return "ok";
  } catch (error) {
    const failure = toServeError(error);
    if (failure.code === "SWY_ERR_SERVE_INTERNAL") {
      reply.log.error({ err: error, requestId: reply.request.id }, "chat stream failed");
    }
    writer.fail(failure);
    return failure.status < 500 ? "client_error" : "error";
  }
}

/** Sends the whole body; errors are thrown to the app's error handler (status still unsent). */
async function answer(run: ChatRun, reply: FastifyReply): Promise<RequestOutcome> {
  const whole = await generateWholeChat(run);
  if (whole === undefined) {
    abandon(reply);
    return "cancelled";
  }
  await reply.send(whole.completion);
  return "ok";
}

async function prepare(engine: ServeEngine, request: ChatRequest): Promise<PreparedChat> {
  const prepared = await engine.prepareChat(request.history, request.reasoning.effort, request.format);
  checkContextFit({
    contextSize: engine.info.contextSize,
    promptTokens: prepared.promptTokens,
    maxTokens: request.sampling.maxTokens,
    promptParam: "messages",
    maxTokensParam: request.maxTokensParam,
  });
  return prepared;
}

export function registerChatRoute(app: FastifyInstance, context: ServeContext): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    const signal = clientGoneSignal(reply);
    const engine = context.requireEngine();
    const chat = parseChatRequest(request.body);
    context.checkModel(chat.model);
    const prepared = await prepare(engine, chat);
    const { metrics } = context;
    const meta: ResponseMeta = {
      id: context.nextId("chatcmpl-"),
      created: Math.floor(Date.now() / 1000),
      model: context.modelName,
    };
    const outcome = await inSlot(context, "chat", signal, () => {
      metrics.promptTokens.inc(prepared.promptTokens);
      const run: ChatRun = {
        engine,
        metrics,
        request: chat,
        prepared,
        meta,
        separation: separationFor(context, chat, engine),
        signal,
        onFirstText: once(metrics.timeToFirstToken.startTimer({ route: "chat" })),
      };
      if (!chat.stream) return answer(run, reply);
      return chat.format.kind === "json_schema"
        ? streamValidated(run, reply)
        : streamLiveResponse(run, reply);
    });
    if (outcome === undefined) abandon(reply);
    metrics.requests.inc({ route: "chat", outcome: outcome ?? "cancelled" });
  });
}
