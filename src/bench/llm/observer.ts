/**
 * The bench's per-request observer: it reads the serving backend from `x-routed-node`, feeds the
 * stream (or JSON body) to the protocol's token reader, and when the request ends turns it all into
 * one `RequestSample` for the aggregates. Warm-up requests produce nothing.
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import type { EventSourceMessage } from "eventsource-parser";
import type { RequestOutcome, ResponseObserver } from "../load-types.js";
import type { RequestSample } from "../stats/request-sample.js";
import { AnthropicTokenReader } from "./anthropic-events.js";
import { OpenAITokenReader } from "./openai-events.js";
import { ResponsesTokenReader } from "./responses-events.js";
import type { Protocol, TokenReader } from "./token-events.js";

/** Non-streaming bodies larger than this are not kept (their token count is then unknown). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export const ROUTED_NODE_HEADER = "x-routed-node";

export interface ObserverContext {
  protocol: Protocol;
  /** Backend label when the response names none (the target's host:port). */
  defaultBackend: string;
  /** `performance.now()` at the start of the measured window. */
  originAt: number;
  record(sample: RequestSample): void;
}

const READERS: Record<Protocol, new () => TokenReader> = {
  openai: OpenAITokenReader,
  anthropic: AnthropicTokenReader,
  responses: ResponsesTokenReader,
};

export function createTokenReader(protocol: Protocol): TokenReader {
  return new READERS[protocol]();
}

export class LlmObserver implements ResponseObserver {
  readonly #model: string;
  readonly #context: ObserverContext;
  readonly #reader: TokenReader;
  #backend: string;
  #chunks: Buffer[] = [];
  #bodyBytes = 0;

  constructor(model: string, context: ObserverContext) {
    this.#model = model;
    this.#context = context;
    this.#reader = createTokenReader(context.protocol);
    this.#backend = context.defaultBackend;
  }

  onHeaders(_status: number, headers: IncomingHttpHeaders): void {
    const routed = headers[ROUTED_NODE_HEADER];
    const backend = Array.isArray(routed) ? routed[0] : routed;
    if (backend) this.#backend = backend;
  }

  onEvent(event: EventSourceMessage, at: number): void {
    this.#reader.onEvent(event, at);
  }

  onData(chunk: Buffer): void {
    this.#bodyBytes += chunk.length;
    if (this.#bodyBytes <= MAX_BODY_BYTES) this.#chunks.push(chunk);
  }

  isComplete(): boolean {
    return this.#reader.complete();
  }

  onEnd(outcome: RequestOutcome): void {
    if (!outcome.measured) return;
    const reader = this.#reader;
    if (!outcome.error && this.#chunks.length > 0 && this.#bodyBytes <= MAX_BODY_BYTES) {
      try {
        reader.onBody(JSON.parse(Buffer.concat(this.#chunks).toString("utf8")));
      } catch {
        // A 2xx body that is not JSON still counts as a success; its token count stays unknown.
      }
    }
    this.#chunks = [];
    const times = reader.tokenTimes;
    const gaps: number[] = [];
    for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
    const sample: RequestSample = {
      model: this.#model,
      backend: this.#backend,
      endedAtMs: outcome.endedAt - this.#context.originAt,
      ok: outcome.error === undefined,
      latencyMs: outcome.endedAt - outcome.scheduledAt,
      interTokenMs: gaps,
      outputTokens: outcome.error ? 0 : reader.outputTokens(),
    };
    if (times[0] !== undefined) sample.ttftMs = times[0] - outcome.scheduledAt;
    if (outcome.error) {
      sample.error = { kind: outcome.error.kind };
      if (outcome.error.kind === "status") sample.error.status = outcome.status;
      if (outcome.error.code !== undefined) sample.error.code = outcome.error.code;
    }
    this.#context.record(sample);
  }
}
