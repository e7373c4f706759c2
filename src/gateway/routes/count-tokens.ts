/**
 * `POST /v1/messages/count_tokens` (also with `?beta=true`, as Claude Code calls it): how many input
 * tokens a Messages request would cost on the model's backend, without generating.
 *
 * One backend is chosen as for inference (the model's backends, healthy, not draining, circuit
 * closed, not ejected, then the model's strategy), but a count takes no slot and never waits in the capacity
 * queue: it is cheap for the backend and a client asks it many times (`/context` in Claude Code
 * asks 18). What answers, named in `x-switchyard-token-count`:
 *
 * - `backend`: an Anthropic backend counted it at its own `count_tokens`; its answer, error or not,
 *   reaches the client as it is.
 * - `tokenizer`: an OpenAI-kind engine counted the translated request with its `/tokenize`
 *   (upstream/tokenize.ts).
 * - `estimate`: nobody could (no tokenizer, no backend up, an error or the deadline): about four
 *   characters a token (protocol/anthropic/token-estimate.ts). A served model always gets a count.
 *
 * An engine found without a tokenizer is not asked again for {@link NO_TOKENIZER_RETRY_MS}.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { countTokensRequestSchema } from "../../protocol/anthropic/requests.js";
import { estimateInputTokens, requestText } from "../../protocol/anthropic/token-estimate.js";
import type { AnthropicMessagesRequest } from "../../protocol/anthropic/types.js";
import { promptPrefix } from "../../protocol/prompt-prefix.js";
import { openAIRequest } from "../../protocol/translate/anthropic-to-openai-request.js";
import { describeRefusal } from "../../protocol/translate/untranslatable.js";
import type { BackendState } from "../../routing/backend.js";
import { upstreamRequestHeaders } from "../../upstream/headers.js";
import { type PostResult, postWithDeadline } from "../../upstream/post.js";
import { countWithTokenizer } from "../../upstream/tokenize.js";
import { noteAnswer, noteModel } from "../access-log.js";
import type { GatewayContext } from "../context.js";
import { ENDPOINTS } from "../endpoint.js";
import { GatewayError } from "../errors.js";
import { inferenceRouteHooks } from "../inference-route.js";
import { waitingFor } from "../retry-later.js";
import { translateCredentials } from "../translation.js";
import { withKey, withoutCredentials } from "../upstream-attempt.js";
import { assertMessageCount } from "./message-limit.js";
import { routingHints } from "./routing-hints.js";

/** The longest a count waits for a backend before it estimates instead. */
export const COUNT_TIMEOUT_MS = 5_000;
/** How long an engine that had no tokenizer is left alone before it is asked again. */
export const NO_TOKENIZER_RETRY_MS = 60_000;
/** Where an Anthropic backend counts tokens. */
export const COUNT_TOKENS_PATH = ENDPOINTS.count_tokens.path;

/** Engines that answered without a tokenizer, until when they are left alone (performance.now()). */
const noTokenizerUntil = new WeakMap<BackendState, number>();

interface CountRequest {
  /** The resolved model the request is routed by. */
  model: string;
  body: Record<string, unknown>;
  /** The body as the client sent it, forwarded as it is when the model name stands. */
  raw: Buffer;
  rewritten: boolean;
}

export function registerCountTokens(app: FastifyInstance, ctx: GatewayContext): void {
  const endpoint = ENDPOINTS.count_tokens;
  app.post(endpoint.path, inferenceRouteHooks(ctx, endpoint), (request, reply) =>
    handleCountTokens(ctx, request, reply),
  );
}

async function handleCountTokens(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const counting = parseCountRequest(ctx, request);
  const serving = ctx.registry.serving(counting.model);
  if (serving.length === 0) {
    const message = `The model '${counting.model}' does not exist or no backend serves it.`;
    throw new GatewayError("SWY_ERR_MODEL_NOT_FOUND", message, { param: "model" });
  }
  noteModel(request, counting.model);
  const backend = pickBackend(ctx, request, counting, serving);
  sendCount(request, reply, await count(ctx, request, counting, backend));
}

/** Who counted, and the count (or, from an Anthropic backend, its whole answer). */
type CountAnswer =
  | { source: "backend"; backend: BackendState; answer: PostResult }
  | { source: "tokenizer"; backend: BackendState; tokens: number }
  | { source: "estimate"; tokens: number };

async function count(
  ctx: GatewayContext,
  request: FastifyRequest,
  counting: CountRequest,
  backend: BackendState | undefined,
): Promise<CountAnswer> {
  if (backend?.kind === "anthropic") {
    const answer = await countOnAnthropic(ctx, request, backend, counting);
    if (answer) return { source: "backend", backend, answer };
  } else if (backend) {
    const tokens = await countOnEngine(ctx, request, backend, counting);
    if (tokens !== undefined) return { source: "tokenizer", backend, tokens };
  }
  return { source: "estimate", tokens: estimateInputTokens(counting.body) };
}

function sendCount(request: FastifyRequest, reply: FastifyReply, counted: CountAnswer): void {
  const headers: Record<string, string> = {
    "x-request-id": request.id,
    "x-switchyard-token-count": counted.source,
  };
  if (counted.source !== "estimate") {
    noteAnswer(request, counted.backend.id);
    headers["x-routed-node"] = counted.backend.id;
  }
  if (counted.source === "backend") {
    const { status, headers: upstream, body } = counted.answer;
    const type = String(upstream["content-type"] ?? "application/json");
    reply.code(status).headers(headers).type(type).send(body);
    return;
  }
  reply.code(200).headers(headers).send({ input_tokens: counted.tokens });
}

/** The client's body checked as Anthropic checks it, with the model it is routed by. */
function parseCountRequest(ctx: GatewayContext, request: FastifyRequest): CountRequest {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("SWY_ERR_INVALID_REQUEST", "The request body must be a JSON object.");
  }
  assertMessageCount(body, ctx.config.max_messages);
  const result = countTokensRequestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".") || "body";
    throw new GatewayError("SWY_ERR_INVALID_REQUEST", `${field}: ${issue.message}`, { param: field });
  }
  const resolved = ctx.models.resolve(result.data.model);
  if (!resolved) throw new GatewayError("SWY_ERR_NO_HEALTHY_BACKEND", "No backend lists any model yet.");
  return {
    model: resolved.model,
    body: body as Record<string, unknown>,
    raw: request.rawBody ?? Buffer.from(JSON.stringify(body)),
    rewritten: resolved.rewritten,
  };
}

/** A backend that could answer now, as the strategy would pick it; `undefined` when none is up. */
function pickBackend(
  ctx: GatewayContext,
  request: FastifyRequest,
  counting: CountRequest,
  serving: readonly BackendState[],
): BackendState | undefined {
  const hints = routingHints(request);
  const node = hints.forcedNode;
  const now = performance.now();
  const candidates = serving.filter(
    (backend) =>
      (node === undefined || backend.id === node || new URL(backend.url).host === node) &&
      backend.healthy &&
      !backend.draining &&
      backend.circuit.state === "closed" &&
      !backend.outlier.ejected(now) &&
      waitingFor(backend, now) === undefined,
  );
  if (candidates.length === 0) return undefined;
  const { body } = counting;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const userId = (body.metadata as { user_id?: unknown } | undefined)?.user_id;
  const routing = {
    model: counting.model,
    sessionKey: typeof userId === "string" ? userId : hints.sessionHeader,
    promptPrefix: promptPrefix(body.system, messages),
  };
  return ctx.strategies.for(counting.model).pick(candidates, routing) ?? candidates[0];
}

/**
 * The client's headers for `backend`: never a gateway key; the backend's own key when it has a
 * pool. Undefined when every key of the pool is resting: the gateway estimates rather than wait.
 */
function backendHeaders(request: FastifyRequest, backend: BackendState): Record<string, string> | undefined {
  let headers = upstreamRequestHeaders(request.headers, request.id);
  if (request.gatewayClient) headers = withoutCredentials(headers);
  if (backend.kind === "openai") headers = translateCredentials(headers, "openai", {});
  if (!backend.keyPool) return headers;
  const key = backend.keyPool.next();
  return key === undefined ? undefined : withKey(headers, backend.kind, key);
}

function countTimeoutMs(ctx: GatewayContext): number {
  return Math.min(COUNT_TIMEOUT_MS, ctx.config.request_timeout * 1000);
}

/**
 * The Anthropic backend's own answer, unless it has no `count_tokens` (404, 405), failed (5xx) or
 * did not answer in time: then `undefined`, and the gateway estimates.
 */
async function countOnAnthropic(
  ctx: GatewayContext,
  request: FastifyRequest,
  backend: BackendState,
  counting: CountRequest,
): Promise<PostResult | undefined> {
  const upstreamModel = backend.upstreamModel(counting.model);
  const body =
    counting.rewritten || upstreamModel !== counting.model
      ? JSON.stringify({ ...counting.body, model: upstreamModel })
      : counting.raw;
  const headers = backendHeaders(request, backend);
  if (!headers) return undefined;
  try {
    const answer = await postWithDeadline(
      ctx.pools.for(backend.origin),
      backend.pathFor(COUNT_TOKENS_PATH),
      body,
      headers,
      AbortSignal.timeout(countTimeoutMs(ctx)),
    );
    const key = headers["x-api-key"];
    if (backend.keyPool && key) backend.keyPool.report(key, answer.status, answer.headers);
    const status = answer.status;
    return status === 404 || status === 405 || status >= 500 ? undefined : answer;
  } catch {
    return undefined;
  }
}

/**
 * The count by an OpenAI-kind engine's tokenizer over the request as it would be translated;
 * `undefined` when the engine has none. A request that cannot be translated is refused (400), as
 * the Messages request itself would be.
 */
async function countOnEngine(
  ctx: GatewayContext,
  request: FastifyRequest,
  backend: BackendState,
  counting: CountRequest,
): Promise<number | undefined> {
  let translated: ReturnType<typeof openAIRequest>;
  const model = backend.upstreamModel(counting.model);
  try {
    translated = openAIRequest({ ...counting.body, model } as unknown as AnthropicMessagesRequest);
  } catch (error) {
    const { message, param } = describeRefusal(error);
    throw new GatewayError("SWY_ERR_INVALID_REQUEST", message, param ? { param } : {});
  }
  const headers = backendHeaders(request, backend);
  if (!headers || (noTokenizerUntil.get(backend) ?? 0) > performance.now()) return undefined;
  const tokens = await countWithTokenizer(
    ctx.pools.for(backend.origin),
    backend.basePath,
    {
      model,
      messages: translated.messages,
      tools: translated.tools,
      text: requestText(counting.body).text,
      headers,
    },
    countTimeoutMs(ctx),
  );
  if (tokens === undefined) noTokenizerUntil.set(backend, performance.now() + NO_TOKENIZER_RETRY_MS);
  return tokens;
}
