/**
 * What a route hands the pipeline: the parsed request with the fields routing needs, and what the
 * client asked of the gateway. Its own file so the pipeline and the attempt can both name it.
 * @module
 */
import type { RoutingFields } from "../protocol/openai/requests.js";
import type { ReasoningRequest } from "../reasoning/request-options.js";
import type { Endpoint } from "./endpoint.js";

export interface ProxyRequest {
  /** What the route is: its name, path, client protocol and what it allows. */
  endpoint: Endpoint;
  fields: RoutingFields;
  /** The client's body: forwarded byte for byte unless the model name must change. */
  rawBody: Buffer;
  parsedBody: Record<string, unknown>;
  /** `?node=` — only this backend (name or host:port) may serve the request. */
  forcedNode?: string | undefined;
  /** The client asked for `x-switchyard-route` (header `x-switchyard-debug: 1`). */
  debug: boolean;
  /** Affinity key for sticky routing: `user`, else `x-session-id`, else the client's API key. */
  sessionKey?: string | undefined;
  /** The client opted into resuming a broken stream elsewhere (`x-switchyard-stream-resume: true` or config). */
  resume?: boolean | undefined;
  /** The reasoning extension fields, when the request carried any (chat only). */
  reasoning?: { request: ReasoningRequest; separate: boolean } | undefined;
  /** What a Responses API answer needs beyond translation (responses route only). */
  responses?: ResponsesTurn | undefined;
}

/** One turn of a Responses API conversation, as the bridge and the response store see it. */
export interface ResponsesTurn {
  /** The response this one continues, echoed in the answer. */
  previousResponseId: string | undefined;
  /** `store` as the client sent it (on unless false), echoed in the answer. */
  store: boolean;
  /** Told the final Response object once, to keep it; undefined when nothing is kept. */
  onResponse: ((response: Record<string, unknown>) => void) | undefined;
  /** The store's write of what onResponse kept, if any: the answer ends after it. */
  kept: () => Promise<void> | undefined;
}
