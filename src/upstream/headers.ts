/**
 * Which headers cross the gateway. Requests carry only what backends need (auth, protocol
 * versions, tracing), and every `anthropic-*` header as the client sent it; responses carry
 * everything but hop-by-hop headers.
 * @module
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const FORWARDED_REQUEST_HEADERS = [
  "authorization",
  "x-api-key",
  "openai-organization",
  "openai-project",
  "openai-beta",
  "accept",
  "user-agent",
  "traceparent",
  "tracestate",
] as const;

export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  requestId: string,
): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = client[name];
    if (typeof value === "string") headers[name] = value;
  }
  // An open list: Anthropic adds headers (and `anthropic-beta` values) with every release, and
  // clients such as Claude Code depend on them arriving; a translated request drops them
  // (gateway/translation.ts), since OpenAI backends have no use for them.
  for (const name in client) {
    if (!name.startsWith("anthropic-")) continue;
    const value = client[name];
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(", ");
  }
  return headers;
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
  return Object.assign(headers, extra);
}
