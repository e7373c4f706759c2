/**
 * The identity translator, for a backend that speaks the client's protocol. The gateway normally
 * pipes such bytes without parsing them; this exists so that every request has a translator, and so
 * that a stream the gateway did parse is written back unchanged.
 * @module
 */
import { sseRawData } from "../sse.js";
import { streamErrorFrame } from "../stream-error.js";
import type { Protocol, RequestTranslation, SseMessage, StreamConverter, Translator } from "./translator.js";

/** Writes each event back as the frame it came from. */
class PassthroughStream implements StreamConverter {
  readonly #protocol: Protocol;
  #done = false;

  constructor(protocol: Protocol) {
    this.#protocol = protocol;
  }

  event(message: SseMessage): string[] {
    if (this.#done) return [];
    return [sseRawData(message.data, message.event)];
  }

  end(): string[] {
    this.#done = true;
    return [];
  }

  fail(status: number, message: string): string[] {
    if (this.#done) return [];
    this.#done = true;
    return [streamErrorFrame(this.#protocol, status, message)];
  }
}

/** Request, response and error bodies unchanged; streams re-framed event for event. */
export class Passthrough implements Translator {
  readonly client: Protocol;
  readonly backend: Protocol;
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
