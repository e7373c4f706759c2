/**
 * Two translators in a row: a client of `outer.client` served by a backend of `inner.backend`,
 * where `outer.backend` is what `inner` takes as its client (e.g. Responses → chat → Anthropic).
 *
 * The request goes through `outer` then `inner`; an answer through `inner` then `outer`. Streams
 * are chained frame by frame: each frame `inner` writes is parsed back into events and fed to
 * `outer`'s converter. Frames are the translators' own complete `event:`/`data:` frames, so the
 * parser here needs none of SSE's leniency. `fail` goes to `outer` alone, whose protocol the client
 * speaks. Like its parts, the composition never throws.
 * @module
 */
import type { Protocol, RequestTranslation, SseMessage, StreamConverter, Translator } from "./translator.js";

/** The events in frames written by a translator (`event: x\ndata: y\n\n`, data possibly on several lines). */
export function parseFrames(frames: readonly string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  for (const frame of frames) {
    for (const block of frame.split("\n\n")) {
      if (block.trim() === "") continue;
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (data.length > 0) messages.push({ event, data: data.join("\n") });
    }
  }
  return messages;
}

class ComposedStream implements StreamConverter {
  readonly #outer: StreamConverter;
  readonly #inner: StreamConverter;
  #done = false;

  constructor(outer: StreamConverter, inner: StreamConverter) {
    this.#outer = outer;
    this.#inner = inner;
  }

  event(message: SseMessage): string[] {
    if (this.#done) return [];
    return this.#feed(this.#inner.event(message));
  }

  end(): string[] {
    if (this.#done) return [];
    const frames = this.#feed(this.#inner.end());
    frames.push(...this.#outer.end());
    this.#done = true;
    return frames;
  }

  fail(status: number, message: string): string[] {
    if (this.#done) return [];
    this.#done = true;
    return this.#outer.fail(status, message);
  }

  #feed(frames: readonly string[]): string[] {
    return parseFrames(frames).flatMap((message) => this.#outer.event(message));
  }
}

/** `outer` over `inner`; see the module comment. Both are used for one request only. */
export class ComposedTranslator<O extends Translator = Translator, I extends Translator = Translator>
  implements Translator
{
  readonly client: Protocol;
  readonly backend: Protocol;
  readonly pipesBytes = false;
  readonly outer: O;
  readonly inner: I;

  constructor(outer: O, inner: I) {
    this.outer = outer;
    this.inner = inner;
    this.client = outer.client;
    this.backend = inner.backend;
  }

  request(body: unknown): RequestTranslation {
    const first = this.outer.request(body);
    if (!first.ok) return first;
    const second = this.inner.request(first.body);
    // The inner refusal speaks the middle protocol; the client gets it in its own.
    if (!second.ok)
      return { ok: false, status: second.status, body: this.outer.error(second.status, second.body) };
    return { ...second, headers: { ...first.headers, ...second.headers } };
  }

  response(body: unknown): unknown {
    return this.outer.response(this.inner.response(body));
  }

  error(status: number, body: unknown): unknown {
    return this.outer.error(status, this.inner.error(status, body));
  }

  stream(): StreamConverter {
    return new ComposedStream(this.outer.stream(), this.inner.stream());
  }
}

/** `outer` over `inner`: request through both, answers back through both. */
export function composeTranslators<O extends Translator, I extends Translator>(
  outer: O,
  inner: I,
): ComposedTranslator<O, I> {
  return new ComposedTranslator(outer, inner);
}
