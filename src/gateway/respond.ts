/**
 * The one way an upstream answer reaches the client, once the attempt has it (the reply is
 * hijacked). Every request has a translator; what else must read the answer decides its shape:
 *
 * - an event stream that something must read (translation, reasoning separation, stream resume) goes
 *   through the pump, converted by a stack: resume nearest the upstream (its prefill is the backend's
 *   own text), then reasoning separation, then the translator's converter;
 * - any other event stream, and any body that is not JSON, is piped as bytes, unparsed;
 * - a JSON body is collected, rewritten when something must (reasoning, translation), `_routing`
 *   spliced in; a refusal (4xx/5xx) crossing protocols goes back as the client's error body.
 * @module
 */

import { SSE_HEADERS } from "../protocol/sse.js";
import type { Translator } from "../protocol/translate/translator.js";
import type { ResponseSeparationOptions } from "../reasoning/openai-response.js";
import type { AnswerHead } from "../upstream/dispatch-call.js";
import { clientResponseHeaders } from "../upstream/headers.js";
import { ReasoningLayer, separateJson } from "./reasoning-transform.js";
import {
  collectBody,
  type JsonTransform,
  pipeBytes,
  type RelayOptions,
  type RelayOutcome,
  sendJson,
  writeJsonResponse,
} from "./relay.js";
import { captureResponseJson, ResponseCaptureLayer } from "./response-capture.js";
import { answerSource, pumpEvents } from "./stream-pump.js";
import { type ContinueStream, StreamResume } from "./stream-resume.js";
import { type StreamLayer, stack } from "./stream-stack.js";
import { tapConverter } from "./stream-tap.js";

export interface RespondOptions extends RelayOptions {
  /** Between the backend's protocol and the client's; a passthrough pipes bytes. */
  translator: Translator;
  /** Reasoning separation of an OpenAI backend's chat answer, when asked for or configured. */
  separation?: ResponseSeparationOptions | undefined;
  /** Set when the client opted into resuming a broken stream on another backend. */
  continueStream?: ContinueStream | undefined;
  /**
   * Told the final Response object of a Responses API answer piped from a backend that serves the
   * API itself (a bridged one is told by its translator).
   */
  onNativeResponse?: ((response: Record<string, unknown>) => void) | undefined;
  /** Most upstream bytes a stream the gateway parses may have (max_upstream_body_bytes); piped ones are unbounded. */
  maxStreamBytes?: number | undefined;
}

/**
 * Whether respond() reads this answer whole (a JSON body, or a refusal it translates), so the caller
 * may collect it, bounded, before the answer counts as started (upstream-attempt.ts `collects`).
 */
export function collectsWhole(response: AnswerHead, translator: Translator): boolean {
  if (response.statusCode >= 400 && !translator.pipesBytes) return true;
  const contentType = String(response.headers["content-type"] ?? "");
  return !contentType.startsWith("text/event-stream") && contentType.includes("json");
}

/** The outcome, at once when the answer was written within the call (a stream that had ended). */
export function respond(options: RespondOptions): RelayOutcome | Promise<RelayOutcome> {
  const { response, translator } = options;
  if (response.statusCode >= 400 && !translator.pipesBytes) return sendTranslatedError(options);
  const contentType = String(response.headers["content-type"] ?? "");
  const isEventStream = contentType.startsWith("text/event-stream");
  // A stream something must read is pumped; any other goes as bytes, unparsed (the fast path).
  if (isEventStream && response.statusCode < 300 && (!translator.pipesBytes || parsesStream(options))) {
    return pumpStream(options);
  }
  if (isEventStream || !contentType.includes("json")) {
    return pipeBytes(options, translator.client, isEventStream);
  }
  const capture = options.onNativeResponse && captureResponseJson(options.onNativeResponse);
  return sendJson(options, translator.client, capture ?? jsonTransform(translator, options.separation));
}

/** Whether a layer must read a stream that would otherwise go as bytes. */
function parsesStream(options: RespondOptions): boolean {
  return (
    options.separation !== undefined ||
    options.onNativeResponse !== undefined ||
    (options.continueStream !== undefined && options.translator.backend === "openai")
  );
}

function pumpStream(options: RespondOptions): Promise<RelayOutcome> {
  const { raw, response, translator } = options;
  const resume =
    options.continueStream && translator.backend === "openai"
      ? new StreamResume(options.continueStream, (error) => options.onBroken?.(error))
      : undefined;
  const layers: StreamLayer[] = [];
  if (resume) layers.push(resume);
  if (options.separation) layers.push(new ReasoningLayer(options.separation));
  if (options.onNativeResponse) layers.push(new ResponseCaptureLayer(options.onNativeResponse));
  const headers = clientResponseHeaders(response.headers, { ...SSE_HEADERS, ...options.headers });
  delete headers["content-length"];
  raw.writeHead(response.statusCode, headers);
  const converter = tapConverter(stack(layers, options.translator.stream()), options.onStreamText);
  // Named, not spread: a spread of the options costs a copy of every field on each stream.
  return pumpEvents({
    raw,
    body: answerSource(response),
    converter,
    recovery: resume,
    onUsage: options.onUsage,
    onBroken: options.onBroken,
    beforeEnd: options.beforeEnd,
    maxBytes: options.maxStreamBytes,
  });
}

/** Undefined when the backend's JSON can go as it is (`_routing` aside). */
function jsonTransform(
  translator: Translator,
  separation: ResponseSeparationOptions | undefined,
): JsonTransform | undefined {
  if (separation) return (body) => translator.response(separateJson(body, separation));
  return translator.pipesBytes ? undefined : (body) => translator.response(body);
}

/** The backend refused the request: its error goes back in the client's protocol. */
async function sendTranslatedError(options: RespondOptions): Promise<RelayOutcome> {
  const { raw, response, translator } = options;
  const collected = await collectBody(options, translator.client);
  if (typeof collected === "string") return collected;
  const text = collected.toString("utf8");
  const headers = clientResponseHeaders({ "content-type": "application/json" }, options.headers);
  writeJsonResponse(
    raw,
    response.statusCode,
    headers,
    translator.error(response.statusCode, parseOrText(text)),
  );
  return "complete";
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
