/**
 * The identity translator, for a backend that speaks the client's protocol. Every request has a
 * translator; this one says it pipes bytes, so the gateway sends such an answer without parsing it.
 * Its stream converter is the top of a stack whose lower layers did have to parse the stream
 * (reasoning separation, stream resume): it writes each event back as the frame it came from.
 * @module
 */
import { sseRawData } from "../sse.js";
import { streamErrorFrame, UPSTREAM_FAILED } from "../stream-error.js";
import { isJsonObject, parseJson } from "./json.js";
import type { Protocol, RequestTranslation, SseMessage, StreamConverter, Translator } from "./translator.js";

/** The events after which a Responses stream is over: nothing, not even an error, may follow. */
const RESPONSES_FINAL_EVENTS: ReadonlySet<string> = new Set([
  "response.completed",
  "response.incomplete",
  "response.failed",
]);

/** The last top-level `sequence_number` in an event's JSON (escaped copies in strings never match). */
const SEQUENCE_NUMBER = /"sequence_number":\s*(\d+)/g;

/** Writes each event back as the frame it came from. */
class PassthroughStream implements StreamConverter {
  readonly #protocol: Protocol;
  #done = false;
  /** The backend's own end of stream passed (`[DONE]`, `message_stop`, `response.completed`…). */
  #complete = false;
  /** Responses only: the last `sequence_number` seen, so that an error event can follow it. */
  #sequence = -1;

  constructor(protocol: Protocol) {
    this.#protocol = protocol;
  }

  event(message: SseMessage): string[] {
    if (this.#done) return [];
    if (this.#protocol === "responses") return [this.#responsesEvent(message)];
    if (this.#protocol === "openai" ? message.data === "[DONE]" : message.event === "message_stop") {
      this.#complete = true;
    }
    // OpenAI streams are unnamed events (as the gateway's converters have always written them).
    return [sseRawData(message.data, this.#protocol === "openai" ? undefined : message.event)];
  }

  end(): string[] {
    this.#done = true;
    return [];
  }

  fail(status: number, message: string): string[] {
    if (this.#done || this.#complete) return [];
    this.#done = true;
    return [streamErrorFrame(this.#protocol, status, message, UPSTREAM_FAILED, this.#sequence + 1)];
  }

  /** Responses events are named; a backend that left the name out gets it from the payload's `type`. */
  #responsesEvent(message: SseMessage): string {
    const name = message.event ?? eventType(message.data);
    if (name !== undefined && RESPONSES_FINAL_EVENTS.has(name)) this.#complete = true;
    for (const match of message.data.matchAll(SEQUENCE_NUMBER)) this.#sequence = Number(match[1]);
    return sseRawData(message.data, name);
  }
}

function eventType(data: string): string | undefined {
  const payload = parseJson(data);
  return isJsonObject(payload) && typeof payload.type === "string" ? payload.type : undefined;
}

/** Request, response and error bodies unchanged; streams re-framed event for event. */
export class Passthrough implements Translator {
  readonly client: Protocol;
  readonly backend: Protocol;
  readonly pipesBytes = true;
  readonly #path: string;

  /**
   * @param protocol what both sides speak
   * @param path the upstream path, the one the client called (`/v1/chat/completions`, `/v1/embeddings`…)
   */
  constructor(protocol: Protocol, path: string) {
    this.client = protocol;
    this.backend = protocol;
    this.#path = path;
  }

  request(body: unknown): RequestTranslation {
    return { ok: true, body, path: this.#path, headers: {} };
  }

  response(body: unknown): unknown {
    return body;
  }

  error(_status: number, body: unknown): unknown {
    return body;
  }

  stream(): StreamConverter {
    return new PassthroughStream(this.client);
  }
}

/** The translator for a backend that speaks the client's protocol. */
export function createPassthrough(protocol: Protocol, path: string): Passthrough {
  return new Passthrough(protocol, path);
}
