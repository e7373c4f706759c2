/**
 * Which headers cross the gateway. Requests carry only what backends need (auth, protocol
 * versions, tracing); responses carry everything but hop-by-hop headers.
 * @module
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const FORWARDED_REQUEST_HEADERS = [
  "authorization",
  "x-api-key",
  "anthropic-version",
  "anthropic-beta",
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
