/**
 * One attempt of a proxied request on one backend, as the pipeline sees it: prepare what the backend
 * is asked (the model it knows the request by, a translation when client and backend speak different
 * protocols), run it as an UpstreamAttempt (upstream-attempt.ts: the slot, the call, the verdict),
 * and hand the answer to the response path (respond.ts). A stream continuation is started the same way, on another
 * backend, with the text so far as a prefill.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { OPENAI_CHAT_PATH } from "../protocol/translate/anthropic-to-openai.js";
import type {
  ResponsesTranslator,
  ResponsesTranslatorOptions,
} from "../protocol/translate/responses-to-chat.js";
import type { Translator } from "../protocol/translate/translator.js";
import type { ResponseSeparationOptions } from "../reasoning/openai-response.js";
import type { BackendState } from "../routing/backend.js";
import type { ClientGone } from "../upstream/client-gone.js";
import { discardBody } from "../upstream/dispatch-call.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "../upstream/headers.js";
import { noteAnswer, noteCompletion, noteUsage } from "./access-log.js";
import { forwardedModel } from "./backend-model.js";
import { type Client, recordTokens } from "./client-keys.js";
import type { GatewayContext } from "./context.js";
import { continuationBody } from "./continuation-body.js";
import { continuationBudgetMs, type RequestDeadline } from "./deadline.js";
import type { RaceEntrant } from "./hedge.js";
import { keepStreamText } from "./ledger-row.js";
import type { ProxyRequest } from "./proxy-request.js";
import { writeJsonResponse } from "./relay.js";
import { collectsWhole } from "./respond.js";
import type { AttemptFailure } from "./retry-policy.js";
import type { Continuation, ContinueStream } from "./stream-resume.js";
import { translateCredentials, translatorFor } from "./translation.js";
import { UpstreamAttempt, type UpstreamCall } from "./upstream-attempt.js";

export type AttemptResult =
  | { kind: "relayed" }
  | { kind: "aborted" }
  /** Nothing reached the client: another backend may take the request (retry-policy.ts). */
  | { kind: "failed"; failure: AttemptFailure }
  /** The backend's global cap (shared state) is reached: nothing was sent, try again later. */
  | { kind: "full" };

export interface Attempt {
  /** The gateway client the request authenticated as; its key is never forwarded upstream. */
  client?: Client | undefined;
  proxied: ProxyRequest;
  /** The resolved model the request is routed by (a backend may answer to an id of its own for it: backend-model.ts). */
  model: string;
  /** The client's body with the resolved model, as bytes. */
  body: Buffer;
  backend: BackendState;
  signal: ClientGone;
  /** The request's deadline: this attempt gets what is left of it, at most `attempt_timeout`. */
  deadline: RequestDeadline;
  debugHeader: string | undefined;
  /** Set when the client opted into resuming a broken stream on another backend. */
  continueStream?: ContinueStream | undefined;
  /**
   * Set when the attempt may be hedged (hedge.ts; it is then also `signal`): only the first
   * attempt whose answer is in writes to the client; a later one is cancelled.
   */
  race?: RaceEntrant | undefined;
}

export async function attemptOnce(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  attempt: Attempt,
): Promise<AttemptResult> {
  const { proxied, model, backend } = attempt;
  const upstream = new UpstreamAttempt(ctx, request, backend, model, attempt.signal);
  const taken = upstream.take();
  if (taken !== true && !(await taken)) return { kind: "full" };
  attempt.race?.watch(upstream);
  try {
    const translator = translatorFor(
      proxied.endpoint.protocol,
      backend,
      proxied.endpoint.path,
      responsesOptions(ctx, proxied),
    );
    const forwarded = forwardedModel(backend, model, attempt.body, proxied.parsedBody);
    const call: UpstreamCall = {
      path: proxied.endpoint.path,
      headers: forwardHeaders(request, attempt.client),
      body: forwarded.body,
      budgetMs: attempt.deadline.attemptBudgetMs(),
      stallMs: attempt.deadline.stallMs,
      collects: (response) => collectsWhole(response, translator),
    };
    if (!translator.pipesBytes) {
      const translated = translator.request({ ...proxied.parsedBody, model: forwarded.model });
      if (!translated.ok) {
        upstream.settle("abandoned");
        if (attempt.race && !attempt.race.claim()) return { kind: "aborted" };
        sendJson(reply, translated.status, translated.body, request.id);
        return { kind: "relayed" };
      }
      call.path = translated.path;
      call.body = Buffer.from(JSON.stringify(translated.body));
      call.headers = translateCredentials(call.headers, backend.kind, translated.headers);
    }
    const sent = await upstream.send(call);
    if (sent.kind !== "answered") return sent;
    const { response, body } = sent;
    if (attempt.race && !attempt.race.claim()) {
      // Another attempt's answer came first (hedge.ts): this one is cancelled, not failed.
      if (body === undefined) response.body.destroy();
      upstream.settle("abandoned");
      return { kind: "aborted" };
    }
    const extraHeaders: Record<string, string> = {
      "x-request-id": request.id,
      "x-routed-node": backend.id,
      "x-selected-model": model,
    };
    if (attempt.debugHeader) extraHeaders["x-switchyard-route"] = attempt.debugHeader;
    const dropped = droppedToolsOf(translator);
    if (dropped) extraHeaders["x-switchyard-dropped-tools"] = dropped;
    noteAnswer(request, backend.id);
    await upstream.respond(reply, response, {
      headers: extraHeaders,
      body,
      maxBodyBytes: ctx.config.max_upstream_body_bytes,
      translator,
      separation: translator.backend === "openai" ? separationOptions(proxied, backend) : undefined,
      routing: proxied.endpoint.routingJson ? backend.routingJson : undefined,
      onUsage: (usage) => {
        ctx.metrics.tokens.inc(usage.prompt, model, backend.id, "prompt");
        ctx.metrics.tokens.inc(usage.completion, model, backend.id, "completion");
        noteUsage(request, usage);
        if (attempt.client) recordTokens(ctx.state, attempt.client, usage.prompt + usage.completion);
      },
      onJsonBody:
        ctx.ledger && ctx.config.ledger_keep_text ? (body) => noteCompletion(request, body) : undefined,
      onStreamText:
        ctx.ledger && ctx.config.ledger_keep_text
          ? keepStreamText(request, ctx.config.max_upstream_body_bytes)
          : undefined,
      continueStream: attempt.continueStream,
      // A backend serving the Responses API itself is piped: the gateway still keeps what it answered.
      onNativeResponse: translator.pipesBytes ? proxied.responses?.onResponse : undefined,
      beforeEnd: proxied.responses?.kept,
    });
    return { kind: "relayed" };
  } finally {
    // Whatever threw, the slot goes back (a no-op when the attempt settled already).
    upstream.settle("abandoned");
  }
}

/** The client's headers as a backend gets them: never the gateway key a client authenticated with. */
function forwardHeaders(request: FastifyRequest, client: Client | undefined): Record<string, string> {
  return upstreamRequestHeaders(request.headers, request.id, client !== undefined);
}

/**
 * Starts the continuation of a broken stream on `backend`, an OpenAI-compatible one: the original
 * request (in OpenAI chat form) with the text so far, as the backend sent it, as an assistant prefill, as an attempt like any other (the same slot, global cap
 * included, and the same verdicts). "full": the backend's global cap is reached. Undefined: the
 * backend could not take it. Otherwise the continuation's `release` settles the attempt.
 */
export async function startContinuation(
  ctx: GatewayContext,
  request: FastifyRequest,
  backend: BackendState,
  proxied: ProxyRequest,
  model: string,
  prefill: string,
  signal: ClientGone,
  client?: Client,
): Promise<Continuation | "full" | undefined> {
  const upstream = new UpstreamAttempt(ctx, request, backend, model, signal);
  const taken = upstream.take();
  if (taken !== true && !(await taken)) return "full";
  // Resume reads OpenAI chat chunks, so only an OpenAI-compatible backend can go on with the stream.
  const body =
    backend.kind === "openai"
      ? continuationBody(proxied.endpoint.protocol, proxied.parsedBody, backend.upstreamModel(model), prefill)
      : undefined;
  if (body === undefined) {
    upstream.settle("abandoned");
    return undefined;
  }
  const sent = await upstream.send({
    path: OPENAI_CHAT_PATH,
    headers: forwardHeaders(request, client),
    body,
    budgetMs: continuationBudgetMs(ctx.config),
  });
  if (sent.kind !== "answered") return undefined;
  const { response } = sent;
  if (
    response.statusCode !== 200 ||
    !String(response.headers["content-type"] ?? "").startsWith("text/event-stream")
  ) {
    await discardBody(response);
    upstream.settle("abandoned");
    return undefined;
  }
  ctx.metrics.streamResumes.inc(1, backend.id);
  return { response, backendId: backend.id, release: (outcome) => upstream.settle(outcome) };
}

/** What a Responses bridge needs besides the request: the gateway's policies and the turn's echo and store hook. */
function responsesOptions(
  ctx: GatewayContext,
  proxied: ProxyRequest,
): ResponsesTranslatorOptions | undefined {
  const turn = proxied.responses;
  if (!turn) return undefined;
  return {
    hostedTools: ctx.config.responses_hosted_tools,
    sealer: ctx.reasoningSealer,
    store: turn.store,
    ...(turn.previousResponseId ? { previousResponseId: turn.previousResponseId } : {}),
    ...(turn.onResponse ? { onResponse: turn.onResponse } : {}),
  };
}

/** The hosted tools a Responses bridge left out, for the header that names them; undefined when none. */
function droppedToolsOf(translator: Translator): string | undefined {
  const dropped = (translator as Partial<ResponsesTranslator>).droppedTools;
  return dropped && dropped.length > 0 ? dropped.join(", ") : undefined;
}

function separationOptions(
  proxied: ProxyRequest,
  backend: BackendState,
): ResponseSeparationOptions | undefined {
  if (!proxied.endpoint.reasoning) return undefined;
  if (backend.kind !== "openai") return undefined;
  const asked = proxied.reasoning?.separate === true;
  if (!asked && !backend.separateReasoning) return undefined;
  const request = proxied.reasoning?.request;
  return {
    modelType: backend.modelType,
    separateThinking: request?.separateThinking ?? false,
    ...(request ? { includeChannels: request.includeChannels } : {}),
    ...(request?.effort ? { reasoningLevel: request.effort } : {}),
  };
}

/** An answer the gateway writes itself, as JSON, before any backend was asked. */
function sendJson(reply: FastifyReply, status: number, body: unknown, requestId: string): void {
  reply.hijack();
  writeJsonResponse(
    reply.raw,
    status,
    clientResponseHeaders({ "content-type": "application/json" }, { "x-request-id": requestId }),
    body,
  );
}
