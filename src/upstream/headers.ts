/**
 * Which headers cross the gateway. Requests carry only what backends need (auth, protocol
 * versions, tracing), and every `anthropic-*` header as the client sent it; responses carry
 * everything but hop-by-hop headers.
 * @module
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/**
 * The client's headers a backend gets. One pass over what the client sent, not a lookup of each
 * name: a lookup by a name that changes from one call to the next is a megamorphic load, nine per
 * request, while the pass reads each header it enumerates through the object's own key cache.
 * `withoutCredentials` leaves out the client's key (a gateway key stays at the gateway) without
 * deleting it afterwards, which would turn the object into a slow dictionary for undici to read.
 */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  requestId: string,
  withoutCredentials = false,
): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
  for (const name in client) {
    const kind = forwardedKind(name);
    if (kind === NOT_FORWARDED || (withoutCredentials && kind === CREDENTIAL)) continue;
    const value = client[name];
    if (typeof value === "string") headers[name] = value;
    // An open list: Anthropic adds headers (and `anthropic-beta` values) with every release, and
    // clients such as Claude Code depend on them arriving; a translated request drops them
    // (gateway/translation.ts), since OpenAI backends have no use for them.
    else if (kind === ANTHROPIC && Array.isArray(value)) headers[name] = value.join(", ");
  }
  return headers;
}

const NOT_FORWARDED = 0;
const FORWARDED = 1;
const CREDENTIAL = 2;
const ANTHROPIC = 3;

/** Whether a client header crosses: only what backends need (auth, protocol versions, tracing). */
function forwardedKind(name: string): number {
  switch (name) {
    case "authorization":
    case "x-api-key":
      return CREDENTIAL;
    case "openai-organization":
    case "openai-project":
    case "openai-beta":
    case "accept":
    case "user-agent":
    case "traceparent":
    case "tracestate":
      return FORWARDED;
    default:
      return name.startsWith("anthropic-") ? ANTHROPIC : NOT_FORWARDED;
  }
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export function clientResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  extra: Record<string, string>,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    if (!HOP_BY_HOP.has(name)) headers[name] = upstream[name];
  }
  // A loop, not Object.assign, which sets each property through the generic path (~250 instructions each).
  for (const name in extra) headers[name] = extra[name];
  return headers;
}
