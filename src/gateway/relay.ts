/**
 * Writes an upstream response to the client as bytes: a body piped as it arrives, with backpressure
 * (a stream that breaks mid-way ends with an error event in the client's protocol), or a JSON body
 * (small), collected so `_routing` (which backend answered) can be spliced in without re-serialising
 * it. Streams that must be parsed go through the pump instead (stream-pump.ts); respond.ts chooses.
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import { anthropicCodedError } from "../protocol/anthropic/errors.js";
import { ERROR_TABLE } from "../protocol/error-codes.js";
import { openAICodedError } from "../protocol/openai/errors.js";
import { streamErrorFrame, UPSTREAM_FAILED } from "../protocol/stream-error.js";
import type { Protocol } from "../protocol/translate/translator.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders } from "../upstream/headers.js";
import { findUsage, type TokenUsage } from "../upstream/usage.js";

export type RelayOutcome = "complete" | "client_gone" | "upstream_broke";

export interface RelayOptions {
  raw: ServerResponse;
  response: Dispatcher.ResponseData;
  headers: Record<string, string>;
  /** Appended to a JSON object body as `"_routing": …` (these bytes, a JSON object) when set and the status is 2xx. */
  routing?: Buffer | undefined;
  onBroken?: ((error: Error) => void) | undefined;
  /** Told the token counts when the response carries `usage`. */
  onUsage?: ((usage: TokenUsage) => void) | undefined;
}

/** Rewrites a successful JSON answer (reasoning separation, protocol translation): parsed body in, body to send out. */
export type JsonTransform = (body: unknown) => unknown;

/**
 * Pipes the body untouched; only an event stream's bytes are looked at, for `usage`. `protocol` is the
 * client's, for the error event that ends a stream broken mid-way.
 */
export function pipeBytes(
  options: RelayOptions,
  protocol: Protocol,
  isEventStream: boolean,
): Promise<RelayOutcome> {
  const { raw, response } = options;
  raw.writeHead(response.statusCode, clientResponseHeaders(response.headers, options.headers));
  return new Promise<RelayOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: RelayOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    response.body.once("error", (error: Error) => {
      if (raw.destroyed || raw.writableEnded) return settle("client_gone");
      options.onBroken?.(error);
      if (isEventStream) {
        const status = classifyUpstreamError(error) === "body" ? 504 : 502;
        const message = `The backend failed mid-stream: ${describeUpstreamError(error)}`;
        raw.end(streamErrorFrame(protocol, status, message, UPSTREAM_FAILED));
      } else {
        raw.destroy();
      }
      settle("upstream_broke");
    });
    raw.once("close", () => {
      if (!raw.writableFinished) {
        response.body.destroy();
        settle("client_gone");
      }
    });
    raw.once("finish", () => settle("complete"));
    const { onUsage } = options;
    if (onUsage && isEventStream) {
      response.body.on("data", (chunk: Buffer) => {
        const usage = findUsage(chunk);
        if (usage) onUsage(usage);
      });
    }
    response.body.pipe(raw);
  });
}

/** Collects a JSON body, rewrites a successful one with `transform` when given, and sends it. */
export async function sendJson(
  options: RelayOptions,
  protocol: Protocol,
  transform?: JsonTransform,
): Promise<RelayOutcome> {
  const { raw, response } = options;
  let body: Buffer;
  try {
    body = Buffer.from(await response.body.arrayBuffer());
  } catch (error) {
    if (raw.destroyed) return "client_gone";
    options.onBroken?.(error as Error);
    raw.destroy();
    return "upstream_broke";
  }
  if (response.statusCode < 300) {
    const usage = options.onUsage
      ? findUsage(body.length > 65_536 ? body.subarray(-4_096) : body)
      : undefined;
    if (usage) options.onUsage!(usage);
    if (transform) {
      try {
        body = transformJson(body, transform);
      } catch (error) {
        // The response is already the gateway's to answer (hijacked): a 502 in the client's format.
        return sendConversionFailure(options, protocol, error as Error);
      }
    }
    if (options.routing) body = spliceRouting(body, options.routing);
  }
  const headers = clientResponseHeaders(response.headers, options.headers);
  headers["content-length"] = body.length;
  raw.writeHead(response.statusCode, headers);
  raw.end(body);
  return "complete";
}

function sendConversionFailure(options: RelayOptions, protocol: Protocol, error: Error): RelayOutcome {
  const message = `The gateway could not convert the backend's answer: ${error.message}`;
  options.onBroken?.(error);
  const code = "SWY_ERR_UPSTREAM_FAILED";
  writeJsonResponse(
    options.raw,
    ERROR_TABLE[code].status,
    options.headers,
    protocol === "anthropic" ? anthropicCodedError(code, message) : openAICodedError(code, message),
  );
  return "upstream_broke";
}

/** Writes a whole JSON answer on a raw response (the reply was hijacked), with its length. */
export function writeJsonResponse(
  raw: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: unknown,
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  raw.writeHead(status, { ...headers, "content-type": "application/json", "content-length": bytes.length });
  raw.end(bytes);
}

/** A body that is not JSON is passed on as it is: the client gets what the backend said. */
function transformJson(body: Buffer, transform: JsonTransform): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  return Buffer.from(JSON.stringify(transform(parsed)));
}

/** Inserts `"_routing":{…}` before the closing brace of a JSON object; anything else is left as is. */
export function spliceRouting(body: Buffer, routing: Buffer): Buffer {
  let end = body.length - 1;
  while (end >= 0 && isWhitespace(body[end]!)) end--;
  if (end < 1 || body[end] !== 0x7d) return body;
  let before = end - 1;
  while (before >= 0 && isWhitespace(body[before]!)) before--;
  const parts = [
    body.subarray(0, end),
    body[before] === 0x7b ? ROUTING_KEY : COMMA_ROUTING_KEY,
    routing,
    body.subarray(end),
  ];
  return Buffer.concat(parts);
}

const ROUTING_KEY = Buffer.from('"_routing":');
const COMMA_ROUTING_KEY = Buffer.from(',"_routing":');

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
