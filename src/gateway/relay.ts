/**
 * Writes an upstream response to the client. Event streams are piped as they arrive, with
 * backpressure; a stream that breaks mid-way ends with an OpenAI error event. JSON bodies (small)
 * are collected so `_routing` (seed 001) can be spliced in without re-serialising them.
 * @module
 */
import type { ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import { openAIError } from "../protocol/openai/errors.js";
import { sseData } from "../protocol/sse.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders } from "../upstream/headers.js";
import { findUsage, type TokenUsage } from "../upstream/usage.js";

export type RelayOutcome = "complete" | "client_gone" | "upstream_broke";

export interface RelayOptions {
  raw: ServerResponse;
  response: Dispatcher.ResponseData;
  headers: Record<string, string>;
  /** Appended to a JSON object body as `"_routing": {...}` when set and the status is 2xx. */
  routing?: Record<string, string> | undefined;
  onBroken?: (error: Error) => void;
  /** Told the token counts when the response carries `usage`. */
  onUsage?: (usage: TokenUsage) => void;
}

export function relay(options: RelayOptions): Promise<RelayOutcome> {
  const { response } = options;
  const contentType = String(response.headers["content-type"] ?? "");
  if (contentType.startsWith("text/event-stream") || !contentType.includes("json"))
    return pipeStream(options, contentType);
  return sendJson(options);
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
        raw.end(sseData(openAIError(status, message, "upstream_failed")));
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
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
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
    if (options.routing) body = spliceRouting(body, options.routing);
  }
  const headers = clientResponseHeaders(response.headers, options.headers);
  headers["content-length"] = body.length;
  raw.writeHead(response.statusCode, headers);
  raw.end(body);
  return "complete";
}

/** Inserts `"_routing":{…}` before the closing brace of a JSON object; anything else is left as is. */
export function spliceRouting(body: Buffer, routing: Record<string, string>): Buffer {
  let end = body.length - 1;
  while (end >= 0 && isWhitespace(body[end]!)) end--;
  if (end < 1 || body[end] !== 0x7d) return body;
  let before = end - 1;
  while (before >= 0 && isWhitespace(body[before]!)) before--;
  const separator = body[before] === 0x7b ? "" : ",";
  const insert = Buffer.from(`${separator}"_routing":${JSON.stringify(routing)}`);
  return Buffer.concat([body.subarray(0, end), insert, body.subarray(end)]);
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
