/**
 * The one interface every protocol translator implements. The gateway creates one translator per
 * request (it remembers what the request asked, e.g. stop sequences or `include_usage`, to shape the
 * response) and calls, in order: `request` once, then `response` or `stream` for a success, or
 * `error` for an upstream error status.
 *
 * Translators are pure: no I/O, no clock or randomness except through {@link TranslatorOptions}, and
 * they never throw. Input they cannot translate yields a {@link RequestRefusal} that the gateway
 * sends as is; odd upstream output yields the closest well-formed client output.
 * @module
 */

/**
 * Which protocol a side speaks. `responses` is OpenAI's Responses API (`POST /v1/responses`) as a
 * client speaks it; its error bodies are OpenAI's, its streams are named events with sequence numbers.
 */
export type Protocol = "openai" | "anthropic" | "responses";

/** One parsed server-sent event, as eventsource-parser delivers it. */
export interface SseMessage {
  readonly event?: string | undefined;
  readonly data: string;
  /**
   * `data` parsed, when a stream layer below made the event from an object (reasoning separation):
   * a converter reads it rather than parse the text it was just written as. Read-only to everyone.
   */
  readonly json?: unknown;
}

/** The request to send upstream. */
export interface UpstreamRequest {
  readonly ok: true;
  readonly body: unknown;
  /** `/v1/chat/completions`, `/v1/messages` or `/v1/responses`, to join to the backend's base URL. */
  readonly path: string;
  /** Protocol headers the backend needs besides authentication (e.g. `anthropic-version`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A request the translator cannot carry to the backend: send `body` to the client with `status`. */
export interface RequestRefusal {
  readonly ok: false;
  readonly status: number;
  /** An error body in the client's protocol. */
  readonly body: unknown;
}

/** What `request()` returns: the upstream request, or a refusal to send the client. */
export type RequestTranslation = UpstreamRequest | RequestRefusal;

/**
 * Turns an upstream SSE stream into the client's. Stateful, one per response; call `event` for each
 * parsed upstream event in order, then `end` once when the upstream body ends.
 */
export interface StreamConverter {
  /** Client SSE frames (each a complete `…\n\n` frame, ready to write) for one upstream event. */
  event(message: SseMessage): string[];
  /**
   * Frames that close the client stream well-formed if the upstream did not (OpenAI `[DONE]`,
   * Anthropic `message_delta` + `message_stop`); empty when it already did or after an error.
   */
  end(): string[];
  /**
   * Frames that end the client stream with an error event in its protocol, for failures the gateway
   * sees itself (upstream reset, timeout) after the first byte was sent. Nothing follows them.
   */
  fail(status: number, message: string): string[];
}

/**
 * Translates one request between a client's protocol and a backend's. Created per request by the
 * route that received it; `request` is called first (the instance remembers what the response must
 * honour), then exactly one of `response`, `stream` or `error`. Never throws.
 */
export interface Translator {
  readonly client: Protocol;
  readonly backend: Protocol;
  /**
   * The backend's answer is already in the client's protocol: its bytes may go to the client as they
   * came, unparsed, unless something else (reasoning separation, stream resume) must read them.
   */
  readonly pipesBytes: boolean;
  /** Translates the client's request body (parsed JSON) into the upstream request. */
  request(body: unknown): RequestTranslation;
  /** Translates a successful upstream response body (parsed JSON) into the client's protocol. */
  response(body: unknown): unknown;
  /** Translates an upstream error (parsed JSON, or the raw text when it was not JSON) into the client's error body. */
  error(status: number, body: unknown): unknown;
  /** A fresh converter for this request's streamed response. */
  stream(): StreamConverter;
}

/** What a translator needs from the outside world, injectable so that tests are deterministic. */
export interface TranslatorOptions {
  /** Current time in milliseconds (OpenAI's `created`). Defaults to `Date.now`. */
  readonly now?: () => number;
  /** A fresh unique suffix for ids the upstream did not supply. Defaults to a random UUID without dashes. */
  readonly newId?: () => string;
}
