/**
 * Writes an upstream response to the client. Event streams are piped as they arrive, with
 * backpressure; a stream that breaks mid-way ends with an OpenAI error event. JSON bodies (small)
 * are collected so `_routing` (which backend answered) can be spliced in without re-serialising them.
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { StringDecoder } from "node:string_decoder";
import { createParser } from "eventsource-parser";
import type { Dispatcher } from "undici";
import { anthropicError } from "../protocol/anthropic/errors.js";
import { openAIError } from "../protocol/openai/errors.js";
import { SSE_HEADERS } from "../protocol/sse.js";
import { streamErrorFrame, UPSTREAM_FAILED } from "../protocol/stream-error.js";
import type { Protocol, StreamConverter } from "../protocol/translate/translator.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders } from "../upstream/headers.js";
import { findUsage, type TokenUsage } from "../upstream/usage.js";

export type RelayOutcome = "complete" | "client_gone" | "upstream_broke";

/**
 * Most bytes an upstream event stream may send without completing an event. The SSE parser holds an
 * unterminated line, and an event's data lines until the blank line that ends it, so an upstream that
 * never sends one would grow that buffer without bound; real events are a few KiB at most.
 */
export const MAX_PENDING_SSE_BYTES = 1024 * 1024;

/** Why a stream that outgrew MAX_PENDING_SSE_BYTES counts as broken. */
export function pendingSseOverflow(bytes: number): Error {
  return new Error(
    `the backend sent ${bytes} bytes without completing an event (the limit is ${MAX_PENDING_SSE_BYTES})`,
  );
}

export interface RelayOptions {
  raw: ServerResponse;
  response: Dispatcher.ResponseData;
  headers: Record<string, string>;
  /** The client's protocol, for the error event that ends a stream broken mid-way. */
  protocol?: Protocol;
  /** Appended to a JSON object body as `"_routing": …` (these bytes, a JSON object) when set and the status is 2xx. */
  routing?: Buffer | undefined;
  onBroken?: (error: Error) => void;
  /** Told the token counts when the response carries `usage`. */
  onUsage?: (usage: TokenUsage) => void;
  /**
   * Rewrites a successful response (reasoning separation, protocol translation). Without it the
   * bytes pass through untouched.
   */
  transform?: ResponseTransform | undefined;
}

export interface ResponseTransform {
  /** A JSON body, parsed; returns the body to send. */
  json(body: unknown): unknown;
  /** A converter for an event-stream body. */
  stream(): StreamConverter;
}

export function relay(options: RelayOptions): Promise<RelayOutcome> {
  const { response } = options;
  const contentType = String(response.headers["content-type"] ?? "");
  const isEventStream = contentType.startsWith("text/event-stream");
  if (options.transform && isEventStream && response.statusCode < 300) {
    return convertStream(options, options.transform.stream());
  }
  if (isEventStream || !contentType.includes("json")) return pipeStream(options, contentType);
  return sendJson(options);
}

/** Parses the upstream event stream and writes what the converter makes of each event. */
function convertStream(options: RelayOptions, converter: StreamConverter): Promise<RelayOutcome> {
  const { raw, response } = options;
  const headers = clientResponseHeaders(response.headers, { ...SSE_HEADERS, ...options.headers });
  delete headers["content-length"];
  raw.writeHead(response.statusCode, headers);
  const body = response.body;
  const write = (frames: string[]) => {
    for (const frame of frames) {
      if (!raw.write(frame) && !body.isPaused()) {
        body.pause();
        raw.once("drain", () => body.resume());
      }
    }
  };
  let failed = false;
  /** Drops the upstream (destroying the body aborts its request) and ends the client's stream with an error. */
  const fail = (status: number, message: string) => {
    failed = true;
    body.destroy();
    write(converter.fail(status, message));
    raw.end();
  };
  // Bytes fed since the parser last completed an event: a bound on what it holds, give or take the
  // tail of the chunk that completed one.
  let pendingBytes = 0;
  const parser = createParser({
    onEvent: (event) => {
      pendingBytes = 0;
      if (failed) return;
      if (options.onUsage && event.data.includes('"usage"')) {
        const usage = findUsage(Buffer.from(event.data));
        if (usage) options.onUsage(usage);
      }
      try {
        write(converter.event({ event: event.event, data: event.data }));
      } catch (error) {
        // A converter that cannot read the backend's event ends this stream, not the process.
        fail(502, `The gateway could not convert the backend's stream: ${(error as Error).message}`);
      }
    },
  });
  const decoder = new StringDecoder("utf8");
  return new Promise<RelayOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: RelayOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    body.on("data", (chunk: Buffer) => {
      pendingBytes += chunk.length;
      parser.feed(decoder.write(chunk));
      if (pendingBytes <= MAX_PENDING_SSE_BYTES || failed) return;
      const error = pendingSseOverflow(pendingBytes);
      options.onBroken?.(error);
      fail(502, `The backend failed mid-stream: ${error.message}`);
    });
    body.once("close", () => {
      if (failed) settle("upstream_broke");
    });
    body.once("end", () => {
      parser.feed(decoder.end());
      if (failed) return settle("upstream_broke");
      if (raw.destroyed) return settle("client_gone");
      write(converter.end());
      raw.end();
      settle("complete");
    });
    body.once("error", (error: Error) => {
      if (raw.destroyed || raw.writableEnded) return settle("client_gone");
      options.onBroken?.(error);
      const status = classifyUpstreamError(error) === "body" ? 504 : 502;
      write(converter.fail(status, `The backend failed mid-stream: ${describeUpstreamError(error)}`));
      raw.end();
      settle("upstream_broke");
    });
    raw.once("close", () => {
      if (!raw.writableFinished) {
        body.destroy();
        settle("client_gone");
      }
    });
  });
}

function pipeStream(options: RelayOptions, contentType: string): Promise<RelayOutcome> {
  const { raw, response } = options;
  raw.writeHead(response.statusCode, clientResponseHeaders(response.headers, options.headers));
  const isEventStream = contentType.startsWith("text/event-stream");
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
        raw.end(streamErrorFrame(options.protocol ?? "openai", status, message, UPSTREAM_FAILED));
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

async function sendJson(options: RelayOptions): Promise<RelayOutcome> {
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
    if (options.transform) {
      try {
        body = transformJson(body, options.transform);
      } catch (error) {
        // The response is already the gateway's to answer (hijacked): a 502 in the client's format.
        return sendConversionFailure(options, error as Error);
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

function sendConversionFailure(options: RelayOptions, error: Error): RelayOutcome {
  const message = `The gateway could not convert the backend's answer: ${error.message}`;
  options.onBroken?.(error);
  writeJsonResponse(
    options.raw,
    502,
    options.headers,
    options.protocol === "anthropic"
      ? anthropicError(502, message)
      : openAIError(502, message, "upstream_failed"),
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
function transformJson(body: Buffer, transform: ResponseTransform): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  return Buffer.from(JSON.stringify(transform.json(parsed)));
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
