/**
 * Writes an upstream response to the client as bytes: a body piped as it arrives, with backpressure
 * (a stream that breaks mid-way ends with an error event in the client's protocol), or a JSON body
 * (small), collected so `_routing` (which backend answered) can be spliced in without re-serialising
 * it (or copying it: the splice is written as chunks of its own). A JSON body is collected before
 * the answer counts as started (upstream-attempt.ts), bounded by `max_upstream_body_bytes`, so that
 * one too large is retried elsewhere. Streams that must be parsed go through the pump instead
 * (stream-pump.ts); respond.ts chooses.
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { anthropicCodedError } from "../protocol/anthropic/errors.js";
import { ERROR_TABLE } from "../protocol/error-codes.js";
import { openAICodedError } from "../protocol/openai/errors.js";
import { streamErrorFrame, UPSTREAM_FAILED } from "../protocol/stream-error.js";
import type { Protocol } from "../protocol/translate/translator.js";
import type { UpstreamAnswer } from "../upstream/dispatch-call.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders } from "../upstream/headers.js";
import { BodyTooLargeError, readBounded } from "../upstream/read-bounded.js";
import { findUsage, type TokenUsage } from "../upstream/usage.js";
import { AnswerPipe, type BodyTaps, forwardBody } from "./stream-pipe.js";

export type RelayOutcome = "complete" | "client_gone" | "upstream_broke";

export interface RelayOptions {
  raw: ServerResponse;
  response: UpstreamAnswer;
  headers: Record<string, string>;
  /** The body, when it was collected already (upstream-attempt.ts `collects`); else read here. */
  body?: Buffer | undefined;
  /** The most bytes read from a body not collected already; 64 MiB when unset. */
  maxBodyBytes?: number | undefined;
  /** Appended to a JSON object body as `"_routing": …` (these bytes, a JSON object) when set and the status is 2xx. */
  routing?: Buffer | undefined;
  onBroken?: ((error: Error) => void) | undefined;
  /** Told the token counts when the response carries `usage`. */
  onUsage?: ((usage: TokenUsage) => void) | undefined;
  /** Told the body a successful JSON answer sends, as the client gets it (the ledger's kept text). */
  onJsonBody?: ((body: Buffer) => void) | undefined;
  /** Told each piece of a successful event stream as the client gets it (the ledger's kept text). */
  onStreamText?: ((piece: Buffer | string) => void) | undefined;
  /**
   * Waited for before the answer ends: the response store's write of a Responses answer, so that a
   * client's next request, on any replica, finds what this one kept.
   */
  beforeEnd?: (() => Promise<void> | undefined) | undefined;
}

/** Rewrites a successful JSON answer (reasoning separation, protocol translation): parsed body in, body to send out. */
export type JsonTransform = (body: unknown) => unknown;

/**
 * Pipes the body untouched; only an event stream's bytes are looked at, for `usage`. `protocol` is the
 * client's, for the error event that ends a stream broken mid-way. A body that had ended before it
 * was piped is written and ended at once: no promise, no listeners on the response.
 */
export function pipeBytes(
  options: RelayOptions,
  protocol: Protocol,
  isEventStream: boolean,
): RelayOutcome | Promise<RelayOutcome> {
  const { raw, response } = options;
  raw.writeHead(response.statusCode, clientResponseHeaders(response.headers, options.headers));
  const taps: BodyTaps = {
    onUsage: isEventStream ? options.onUsage : undefined,
    onChunk: isEventStream && response.statusCode < 300 ? options.onStreamText : undefined,
  };
  // The call's own handler writes to the client when it can (dispatch-call.ts); a body given as
  // a Readable (tests, a collected answer) is read as one.
  if (!response.forward) return pipeReadable(options, protocol, isEventStream, taps);
  const pipe = new AnswerPipe(raw, taps);
  const flow = pipe.forward(response as Required<Pick<UpstreamAnswer, "forward">>);
  if (pipe.ended) return "complete";
  if (pipe.failure) return brokenPipe(options, protocol, isEventStream, pipe.failure);
  return pipeOutcome(
    options,
    protocol,
    isEventStream,
    () => flow.abort(),
    (fail) => {
      pipe.onError = fail;
    },
  );
}

function pipeReadable(
  options: RelayOptions,
  protocol: Protocol,
  isEventStream: boolean,
  taps: BodyTaps,
): Promise<RelayOutcome> {
  const { raw, response } = options;
  const outcome = pipeOutcome(
    options,
    protocol,
    isEventStream,
    () => response.body.destroy(),
    (fail) => response.body.once("error", fail),
  );
  forwardBody(response.body, raw, taps);
  return outcome;
}

/**
 * How a pipe under way ends, once: `complete` when the client's response finishes, `client_gone`
 * when it closes first (the upstream is then let go), or the broken pipe's outcome when the
 * upstream fails mid-body.
 */
function pipeOutcome(
  options: RelayOptions,
  protocol: Protocol,
  isEventStream: boolean,
  letUpstreamGo: () => void,
  onUpstreamError: (fail: (error: Error) => void) => void,
): Promise<RelayOutcome> {
  const { raw } = options;
  return new Promise<RelayOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: RelayOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    onUpstreamError((error) => settle(brokenPipe(options, protocol, isEventStream, error)));
    raw.once("close", () => {
      if (!raw.writableFinished) {
        letUpstreamGo();
        settle("client_gone");
      }
    });
    raw.once("finish", () => settle("complete"));
  });
}

/** The upstream broke mid-body: an event stream ends with an error event, any other body is cut. */
function brokenPipe(
  options: RelayOptions,
  protocol: Protocol,
  isEventStream: boolean,
  error: Error,
): RelayOutcome {
  const { raw } = options;
  if (raw.destroyed || raw.writableEnded) return "client_gone";
  options.onBroken?.(error);
  if (isEventStream) {
    const status = classifyUpstreamError(error) === "body" ? 504 : 502;
    const message = `The backend failed mid-stream: ${describeUpstreamError(error)}`;
    raw.end(streamErrorFrame(protocol, status, message, UPSTREAM_FAILED));
  } else {
    raw.destroy();
  }
  return "upstream_broke";
}

/** Collects a JSON body, rewrites a successful one with `transform` when given, and sends it. */
export async function sendJson(
  options: RelayOptions,
  protocol: Protocol,
  transform?: JsonTransform,
): Promise<RelayOutcome> {
  const { raw, response } = options;
  const collected = await collectBody(options, protocol);
  if (typeof collected === "string") return collected;
  let body = collected;
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
  }
  if (response.statusCode < 300) options.onJsonBody?.(body);
  const kept = options.beforeEnd?.();
  if (kept) await kept;
  const parts = options.routing && response.statusCode < 300 ? routingParts(body, options.routing) : [body];
  let length = 0;
  for (const part of parts) length += part.length;
  const headers = clientResponseHeaders(response.headers, options.headers);
  headers["content-length"] = length;
  raw.writeHead(response.statusCode, headers);
  // The status line, headers and body leave in one socket write either way. A usual answer is
  // joined into one buffer and ended with it: one pass through the response's write path instead
  // of one per part. A large one is written as views of it, never copied.
  if (parts.length === 1 || length <= JOIN_LIMIT) {
    raw.end(joined(parts, length));
    return "complete";
  }
  raw.cork();
  for (const part of parts) raw.write(part);
  raw.end();
  raw.uncork();
  return "complete";
}

/** Up to this many bytes, the parts of a JSON answer are copied into one buffer to be written at once. */
const JOIN_LIMIT = 64 * 1024;

function joined(parts: Buffer[], length: number): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
}

/** Most bytes read from a body nobody collected and bounded before (a caller without the setting). */
const FALLBACK_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The body, collected before or read now; after the reply was hijacked a body too large can no
 * longer be retried elsewhere: a 502 in the client's format. A string: the outcome, when it failed.
 */
export async function collectBody(options: RelayOptions, protocol: Protocol): Promise<Buffer | RelayOutcome> {
  if (options.body) return options.body;
  const { raw, response } = options;
  try {
    return await readBounded(
      response.body,
      response.headers,
      options.maxBodyBytes ?? FALLBACK_MAX_BODY_BYTES,
    );
  } catch (error) {
    if (raw.destroyed) return "client_gone";
    if (error instanceof BodyTooLargeError) {
      return sendUpstreamFailure(
        options,
        protocol,
        `The backend's answer is too large: ${error.message}`,
        error,
      );
    }
    options.onBroken?.(error as Error);
    raw.destroy();
    return "upstream_broke";
  }
}

function sendConversionFailure(options: RelayOptions, protocol: Protocol, error: Error): RelayOutcome {
  const message = `The gateway could not convert the backend's answer: ${error.message}`;
  return sendUpstreamFailure(options, protocol, message, error);
}

function sendUpstreamFailure(
  options: RelayOptions,
  protocol: Protocol,
  message: string,
  error: Error,
): RelayOutcome {
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

/**
 * The body with `"_routing":{…}` before the closing brace of a JSON object, as chunks to write one
 * after the other (views of `body`, not a copy); anything else is left as is.
 */
export function routingParts(body: Buffer, routing: Buffer): Buffer[] {
  let end = body.length - 1;
  while (end >= 0 && isWhitespace(body[end]!)) end--;
  if (end < 1 || body[end] !== 0x7d) return [body];
  let before = end - 1;
  while (before >= 0 && isWhitespace(body[before]!)) before--;
  return [
    body.subarray(0, end),
    body[before] === 0x7b ? ROUTING_KEY : COMMA_ROUTING_KEY,
    routing,
    body.subarray(end),
  ];
}

const ROUTING_KEY = Buffer.from('"_routing":');
const COMMA_ROUTING_KEY = Buffer.from(',"_routing":');

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
