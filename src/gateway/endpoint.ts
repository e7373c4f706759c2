/**
 * What an inference route is, said once: its name (the metrics label), the path a backend is asked
 * for, the protocol its client speaks (errors follow it), and what the request path may do with it
 * (stream, resume a broken stream, reach an Anthropic backend, separate reasoning). Each route puts its
 * descriptor on the request before anything else runs, so hooks, error replies and the pipeline read
 * the same facts instead of comparing route names or sniffing the URL.
 * @module
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Protocol } from "../protocol/translate/translator.js";

export type EndpointName = "chat" | "completions" | "embeddings" | "messages" | "count_tokens" | "responses";

export interface Endpoint {
  readonly name: EndpointName;
  /** The path a backend of the client's protocol is asked for, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** The protocol the client speaks: its errors, stream failures and translation follow it. */
  readonly protocol: Protocol;
  /** The answer may be an event stream. */
  readonly streams: boolean;
  /** A broken stream may continue on another backend (opt-in per request). */
  readonly resumes: boolean;
  /** An Anthropic backend can answer it (Anthropic's API has only Messages). */
  readonly anthropicBackends: boolean;
  /** Reasoning separation and the reasoning extension fields apply. */
  readonly reasoning: boolean;
  /** A JSON answer gets the `_routing` object (OpenAI-shaped answers with a choice only). */
  readonly routingJson: boolean;
}

export const ENDPOINTS = {
  chat: {
    name: "chat",
    path: "/v1/chat/completions",
    protocol: "openai",
    streams: true,
    resumes: true,
    anthropicBackends: true,
    reasoning: true,
    routingJson: true,
  },
  completions: {
    name: "completions",
    path: "/v1/completions",
    protocol: "openai",
    streams: true,
    resumes: false,
    anthropicBackends: false,
    reasoning: false,
    routingJson: true,
  },
  embeddings: {
    name: "embeddings",
    path: "/v1/embeddings",
    protocol: "openai",
    streams: false,
    resumes: false,
    anthropicBackends: false,
    reasoning: false,
    routingJson: false,
  },
  messages: {
    name: "messages",
    path: "/v1/messages",
    protocol: "anthropic",
    streams: true,
    resumes: true,
    anthropicBackends: true,
    reasoning: true,
    routingJson: false,
  },
  responses: {
    name: "responses",
    path: "/v1/responses",
    protocol: "responses",
    streams: true,
    // Resume continues OpenAI chat text; a Responses stream has items, so it is not resumed (yet).
    resumes: false,
    anthropicBackends: true,
    reasoning: true,
    routingJson: false,
  },
  /** Anthropic's token count: answered by any backend kind, but never queued (routes/count-tokens.ts). */
  count_tokens: {
    name: "count_tokens",
    path: "/v1/messages/count_tokens",
    protocol: "anthropic",
    streams: false,
    resumes: false,
    anthropicBackends: true,
    reasoning: false,
    routingJson: false,
  },
} as const satisfies Record<EndpointName, Endpoint>;

declare module "fastify" {
  interface FastifyRequest {
    /** The inference route the request reached; null for every other route and for unrouted requests. */
    endpoint: Endpoint | null;
  }
}

/** Decorated on every request (null), so requests keep one shape whatever route they reach. */
export function decorateEndpoint(app: FastifyInstance): void {
  app.decorateRequest("endpoint", null);
}

/**
 * The protocol to answer `request` in. A request that never reached a route (404, malformed URL,
 * refused by Node's parser) has no descriptor: its path decides, as Anthropic clients expect
 * Anthropic errors from anything under `/v1/messages`.
 */
export function clientProtocol(request: Pick<FastifyRequest, "endpoint" | "url">): Protocol {
  return request.endpoint?.protocol ?? protocolOfPath(request.url);
}

export function protocolOfPath(url: string): Protocol {
  return url.startsWith("/v1/messages") ? "anthropic" : "openai";
}
