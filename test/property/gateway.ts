/**
 * In-process gateways for the route properties, in front of in-process mocks, answered through
 * fastify's `inject` (no sockets). Each response is checked against the rules of the README's
 * "Errors": never a 500, errors in the client's protocol, and nothing that hangs.
 */
import type { InjectOptions } from "fastify";
import { expect } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import { expectAnthropicError, expectOpenAIError, jsonOf, parseSse, withTimeout } from "./support.js";

/** Models of the inference gateway, by what answers them. */
export const MODELS = {
  /** An OpenAI-compatible backend. */
  openai: "mock-model",
  /** An Anthropic backend: OpenAI clients are translated. */
  anthropic: "claude-mock",
  /** An OpenAI backend with `<think>` output whose reasoning the gateway separates. */
  reasoning: "reason-model",
  /** An alias of `mock-model`. */
  alias: "alias-model",
  /** A sentinel: the gateway picks a model. */
  sentinel: "auto",
} as const;

export const ALL_MODELS = Object.values(MODELS);
/** Requests' model names: served ones, unknown ones. */
export const MODEL_NAMES = [...ALL_MODELS, "unknown-model", "default", "gpt-4o", "claude-3"] as const;

export const BODY_LIMIT = 256 * 1024;
/** Longest a single request may take before it counts as a hang. */
export const ANSWER_WITHIN_MS = 8_000;

export interface FuzzGateways {
  /** Inference gateway: OpenAI, Anthropic and reasoning backends, aliases, a sentinel. */
  inference: Gateway;
  /** Admin gateway without a token: register, unregister, drain and random routes go here. */
  admin: Gateway;
  /** Admin gateway with the token {@link ADMIN_TOKEN}. */
  locked: Gateway;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = "fuzz-admin-token";

export async function startFuzzGateways(): Promise<FuzzGateways> {
  const plain = await startMock({
    port: 0,
    models: [MODELS.openai, MODELS.anthropic],
    logLevel: "silent",
  });
  const thinking = await startMock({
    port: 0,
    models: [MODELS.reasoning],
    reasoning: "think",
    logLevel: "silent",
  });
  const mocks: RunningMock[] = [plain, thinking];
  const common = {
    port: 0,
    log_level: "silent",
    health_interval: 0,
    health_timeout: 0.5,
    connect_timeout: 1,
    request_timeout: 5,
    max_retries: 1,
    queue_timeout: 1,
    // A failing backend must not turn later requests into 503s: every verdict is about its own input.
    circuit_breaker_threshold: 0,
    body_limit: BODY_LIMIT,
    load_interval: 0,
  };
  const inference = buildGateway(
    gatewayConfigSchema.parse({
      ...common,
      aliases: { [MODELS.alias]: MODELS.openai },
      // Strategies that read the request (session keys, prompt prefixes) see hostile input too.
      strategy: "power_of_two",
      model_strategies: {
        [MODELS.openai]: "sticky",
        [MODELS.anthropic]: "prefix_cache",
        [MODELS.reasoning]: "latency",
      },
      backends: [
        { name: "oa", url: plain.url, models: [MODELS.openai] },
        { name: "oa2", url: `${plain.url}/`, models: [MODELS.openai], weight: 3 },
        { name: "an", url: plain.url, kind: "anthropic", models: [MODELS.anthropic] },
        {
          name: "rz",
          url: thinking.url,
          models: [MODELS.reasoning],
          model_type: "qwen3",
          separate_reasoning: true,
        },
      ],
    }),
  );
  const admin = buildGateway(
    gatewayConfigSchema.parse({
      ...common,
      backends: [{ name: "a1", url: plain.url, models: [MODELS.openai] }],
    }),
  );
  const locked = buildGateway(
    gatewayConfigSchema.parse({
      ...common,
      admin_token: ADMIN_TOKEN,
      backends: [{ name: "l1", url: plain.url, models: [MODELS.openai] }],
    }),
  );
  await Promise.all([inference.app.ready(), admin.app.ready(), locked.app.ready()]);
  return {
    inference,
    admin,
    locked,
    async close() {
      await Promise.all([inference.close(), admin.close(), locked.close()]);
      await Promise.all(mocks.map((mock) => mock.close()));
    },
  };
}

/** What `?node=` may name on a gateway: its backends' names and their `host:port`. */
export function nodeNames(gateway: Gateway): string[] {
  return gateway.context.registry.list().flatMap((backend) => [backend.id, new URL(backend.url).host]);
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** Sends one request; a hang fails the property. */
export async function send(gateway: Gateway, options: InjectOptions): Promise<Answer> {
  const what = `${options.method ?? "GET"} ${String(options.url)}`;
  const response = await withTimeout(gateway.app.inject(options), ANSWER_WITHIN_MS, what);
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/** Which protocol's error envelope a path's errors come in (one error body per protocol: protocol/openai/errors.ts, protocol/anthropic/errors.ts). */
export function protocolOf(url: string): "anthropic" | "openai" | "either" {
  const raw = url.split("?")[0] ?? url;
  let resolved = raw;
  try {
    // `inject` resolves dot segments as a URL parser does; a socket client's path arrives as sent.
    resolved = new URL(url, "http://gateway.invalid").pathname;
  } catch {
    // `//…` is no path a URL parser takes: keep it as sent.
  }
  const of = (path: string) => {
    if (path === "/v1/messages") return "anthropic";
    // Unknown routes under the Messages prefix: either envelope is defensible.
    if (path.startsWith("/v1/messages")) return "either";
    // The model list answers in Anthropic's shape when the request carries `anthropic-version`.
    if (path.startsWith("/v1/models")) return "either";
    return "openai";
  };
  return of(raw) === of(resolved) ? of(raw) : "either";
}

export interface ExpectOptions {
  /** The request asked for a stream: a success must be an event stream. */
  stream?: boolean;
  /** The request was HEAD: no body to check. */
  head?: boolean;
  /** Statuses ≥ 500 this call may legitimately get (upstream outcomes). */
  upstreamStatuses?: readonly number[];
}

/** The rules every answer obeys: never a 500, error bodies in the route's protocol, well-formed streams. */
export function expectWellFormed(url: string, answer: Answer, options: ExpectOptions = {}): void {
  const context = `${url} → ${answer.status} ${answer.body.slice(0, 400)}`;
  const allowed5xx = options.upstreamStatuses ?? [];
  if (answer.status >= 500 && !allowed5xx.includes(answer.status)) {
    throw new Error(`server error for a client's request: ${context}`);
  }
  if (options.head) return;
  const contentType = String(answer.headers["content-type"] ?? "");
  if (answer.status >= 400) {
    expect(contentType, context).toMatch(/^application\/json/);
    const body = jsonOf(answer.body, context);
    const protocol = protocolOf(url);
    try {
      if (protocol === "anthropic") expectAnthropicError(body);
      else if (protocol === "openai") expectOpenAIError(body);
      else {
        try {
          expectAnthropicError(body);
        } catch {
          expectOpenAIError(body);
        }
      }
    } catch (error) {
      throw new Error(`wrong error envelope (${protocol}): ${context}\n${(error as Error).message}`);
    }
    return;
  }
  if (contentType.startsWith("text/event-stream")) {
    expectWellFormedStream(url, answer.body, context);
    return;
  }
  if (options.stream === true && answer.status === 200 && url.split("?")[0] !== "/v1/embeddings") {
    throw new Error(`a streaming request got a non-stream success: ${context}`);
  }
  if (contentType.includes("json")) jsonOf(answer.body, context);
}

function hasError(data: string): boolean {
  try {
    return (JSON.parse(data) as { error?: unknown })?.error !== undefined;
  } catch {
    return false;
  }
}

/** An event stream a client can read to its end: JSON events, then `[DONE]` or `message_stop`. */
export function expectWellFormedStream(
  url: string,
  text: string,
  context: string,
  options: { passThrough?: boolean } = {},
): void {
  const { events, errors, rest } = parseSse(text);
  if (errors.length > 0 || rest !== "") {
    throw new Error(`malformed event stream (${errors.join("; ")}): ${context}`);
  }
  for (const event of events) {
    // A pass-through may carry upstream data that is not JSON as it came.
    if (event.data === "[DONE]" || options.passThrough) continue;
    jsonOf(event.data, `event data in ${context}`);
  }
  const last = events.at(-1);
  const anthropic = protocolOf(url) === "anthropic";
  const ended = anthropic
    ? last !== undefined && (last.event === "message_stop" || last.event === "error")
    : events.some((event) => event.data === "[DONE]") || (last !== undefined && hasError(last.data));
  if (!ended) throw new Error(`the event stream does not end properly: ${context}`);
}
