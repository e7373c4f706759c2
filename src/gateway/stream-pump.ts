/**
 * The one SSE pump: parses an upstream event stream, writes what the converter (a stack: see
 * stream-stack.ts) makes of each event, with backpressure, and settles once with how it ended. The
 * bytes come from the upstream call's handler as it is told them (no Readable, no tick per chunk). A
 * stream that breaks mid-way may be recovered (stream resume hands it another upstream body to go on
 * from); otherwise it ends with the converter's error frame in the client's protocol.
 * @module
 */
import type { Readable, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createParser } from "eventsource-parser";
import type { SseMessage, StreamConverter } from "../protocol/translate/translator.js";
import type { BodyFlow, BodySink, UpstreamAnswer } from "../upstream/dispatch-call.js";
import { classifyUpstreamError, describeUpstreamError } from "../upstream/errors.js";
import { findUsageInText, type TokenUsage } from "../upstream/usage.js";
import type { RelayOutcome } from "./relay.js";

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

/**
 * Where a pumped body's bytes come from: the upstream call's handler hands them on as they arrive
 * (dispatch-call.ts `forward`), with no Readable between; `readableSource` adapts a Readable.
 */
export interface BodySource {
  forward(sink: BodySink): BodyFlow;
}

/** An upstream answer's body as a source: its handler's own when it streams, else its Readable. */
export function answerSource(answer: UpstreamAnswer): BodySource {
  return answer.forward ? (answer as BodySource) : readableSource(answer.body);
}

/** A Readable as a source (tests, a body that was collected): paused while the sink is full. */
export function readableSource(body: Readable): BodySource {
  return {
    forward(sink) {
      let aborted = false;
      body.on("data", (chunk: Buffer) => {
        if (!sink.write(chunk)) body.pause();
      });
      body.once("end", () => sink.end());
      // `on`, not `once`: destroying the body later may emit another error, which must not go unheard.
      body.on("error", (error: Error) => {
        if (!aborted) sink.error(error);
      });
      return {
        resume: () => body.resume(),
        abort: () => {
          aborted = true;
          body.destroy();
        },
      };
    },
  };
}

/** Goes on with a broken stream from another upstream (stream resume). */
export interface StreamRecovery {
  /**
   * An upstream body broke: a body to go on from, or undefined to end the stream with an error.
   * Told of every break, so it (not the pump's `onBroken`) blames the upstream that broke.
   */
  recover(error: Error): Promise<BodySource | Readable | undefined>;
  /** The stream is over; told once. */
  close(outcome: RelayOutcome): void;
}

export interface PumpOptions {
  /** The client's response (a ServerResponse whose head is written). */
  raw: Writable;
  /** The upstream body: an answer's handler (no Readable between), or a Readable. */
  body: BodySource | Readable;
  converter: StreamConverter;
  recovery?: StreamRecovery | undefined;
  /** Told the token counts of each upstream event that carries `usage`. */
  onUsage?: ((usage: TokenUsage) => void) | undefined;
  /** The upstream broke (or sent an event that never ends), and there is no recovery. */
  onBroken?: ((error: Error) => void) | undefined;
  /** Waited for before a stream that completed ends (relay.ts RelayOptions.beforeEnd). */
  beforeEnd?: (() => Promise<void> | undefined) | undefined;
  /**
   * Most bytes read from upstream bodies in all (continuations included), or undefined for no
   * bound. Layers and translators keep what a stream said (a Responses API answer's final object,
   * tool-call arguments, resume's prefill), so a stream that never ends must be cut somewhere.
   */
  maxBytes?: number | undefined;
}

/** Why a pumped stream that outgrew its `maxBytes` counts as broken. */
export function streamTooLong(limit: number): Error {
  return new Error(`the stream is longer than max_upstream_body_bytes (${limit} bytes)`);
}

type Drained =
  /** The upstream ended and the client's stream was closed, or is once `kept` is (beforeEnd). */
  | { kind: "ended"; kept?: Promise<void> | undefined }
  | { kind: "client_gone" }
  | { kind: "broken"; error: Error }
  /** The converter threw: the stream cannot go on, but the upstream is not to blame. */
  | { kind: "unconvertible"; error: Error };

export async function pumpEvents(options: PumpOptions): Promise<RelayOutcome> {
  const { raw, converter, recovery } = options;
  let body = sourceOf(options.body);
  const budget = { left: options.maxBytes ?? Number.POSITIVE_INFINITY, limit: options.maxBytes ?? 0 };
  for (;;) {
    const drained = await drain(raw, body, options, budget);
    if (drained.kind === "ended" || drained.kind === "client_gone") {
      const outcome = drained.kind === "ended" ? "complete" : "client_gone";
      if (drained.kind === "ended" && drained.kept) {
        await drained.kept;
        raw.end();
      }
      recovery?.close(outcome);
      return outcome;
    }
    const next = drained.kind === "broken" ? await recoverFrom(drained.error, options) : undefined;
    if (next) {
      body = sourceOf(next);
      continue;
    }
    raw.end(converter.fail(...failure(drained)).join(""));
    recovery?.close("upstream_broke");
    return "upstream_broke";
  }
}

function sourceOf(body: BodySource | Readable): BodySource {
  return "forward" in body ? body : readableSource(body);
}

function recoverFrom(
  error: Error,
  options: PumpOptions,
): Promise<BodySource | Readable | undefined> | undefined {
  if (options.recovery) return options.recovery.recover(error);
  options.onBroken?.(error);
  return undefined;
}

/** The status and message of the error event that ends a stream the gateway could not finish. */
function failure(drained: Extract<Drained, { error: Error }>): [number, string] {
  if (drained.kind === "unconvertible") {
    return [502, `The gateway could not convert the backend's stream: ${drained.error.message}`];
  }
  const status = classifyUpstreamError(drained.error) === "body" ? 504 : 502;
  return [status, `The backend failed mid-stream: ${describeUpstreamError(drained.error)}`];
}

/** Writes one upstream body's events to the client until it ends, breaks, or the client leaves. */
function drain(
  raw: Writable,
  body: BodySource,
  options: PumpOptions,
  budget: { left: number; limit: number },
): Promise<Drained> {
  return new Promise<Drained>((resolve) => {
    new EventDrain(raw, options, budget, resolve).take(body);
  });
}

/**
 * The sink of one upstream body: parses its bytes into events, writes the converted frames, holds the
 * upstream while the client is full, and settles once.
 */
class EventDrain implements BodySink {
  readonly #raw: Writable;
  readonly #converter: StreamConverter;
  readonly #onUsage: PumpOptions["onUsage"];
  readonly #beforeEnd: PumpOptions["beforeEnd"];
  readonly #budget: { left: number; limit: number };
  readonly #resolve: (drained: Drained) => void;
  readonly #decoder = new StringDecoder("utf8");
  readonly #parser: ReturnType<typeof createParser>;
  #flow: BodyFlow | undefined;
  #settled = false;
  /** Stopped while the source was still handing over what it held: the flow is aborted once known. */
  #abortPending = false;
  #waiting = false;
  /**
   * Bytes fed since the parser last completed an event: a bound on what it holds, give or take the
   * tail of the chunk that completed one.
   */
  #pendingBytes = 0;
  /**
   * The frames of one upstream chunk go out as one write: each write of a chunked response costs its
   * own chunk header and buffers in the socket's writev, and a chunk often holds many events.
   */
  #batch = "";

  constructor(
    raw: Writable,
    options: PumpOptions,
    budget: { left: number; limit: number },
    resolve: (drained: Drained) => void,
  ) {
    this.#raw = raw;
    this.#converter = options.converter;
    this.#onUsage = options.onUsage;
    this.#beforeEnd = options.beforeEnd;
    this.#budget = budget;
    this.#resolve = resolve;
    this.#parser = createParser({ onEvent: (event) => this.#onEvent(event) });
  }

  /** Reads `body`; one whose client is gone already is let go at once. */
  take(body: BodySource): void {
    if (this.#raw.destroyed) this.#stop({ kind: "client_gone" });
    else this.#raw.once("close", this.#onClose);
    const flow = body.forward(this);
    this.#flow = flow;
    if (this.#abortPending) flow.abort();
  }

  readonly #onClose = () => {
    if (!this.#raw.writableFinished) this.#stop({ kind: "client_gone" });
  };

  write(chunk: Buffer): boolean {
    if (this.#settled) return false;
    this.#pendingBytes += chunk.length;
    const budget = this.#budget;
    budget.left -= chunk.length;
    if (budget.left < 0) {
      this.#stop({ kind: "broken", error: streamTooLong(budget.limit) });
      return false;
    }
    this.#parser.feed(this.#decoder.write(chunk));
    if (this.#settled) return false;
    const room = this.#flush();
    if (this.#pendingBytes > MAX_PENDING_SSE_BYTES) {
      this.#stop({ kind: "broken", error: pendingSseOverflow(this.#pendingBytes) });
      return false;
    }
    return room;
  }

  /**
   * The last frames and the converter's closing ones go out with the response's end, in the turn the
   * upstream ended in: one socket write with the chunked terminator, not one more after a promise.
   */
  end(): void {
    if (this.#settled) return;
    this.#parser.feed(this.#decoder.end());
    if (this.#settled) return;
    if (this.#raw.destroyed) {
      this.#settle({ kind: "client_gone" });
      return;
    }
    let frames: string;
    try {
      frames = this.#batch + this.#converter.end().join("");
    } catch (error) {
      this.#flush();
      this.#settle({ kind: "unconvertible", error: error as Error });
      return;
    }
    this.#batch = "";
    const kept = this.#beforeEnd?.();
    if (kept) {
      if (frames !== "") this.#raw.write(frames);
    } else {
      this.#raw.end(frames);
    }
    this.#settle({ kind: "ended", kept });
  }

  error(error: Error): void {
    this.#settle(this.#raw.destroyed ? { kind: "client_gone" } : { kind: "broken", error });
  }

  #onEvent(event: SseMessage): void {
    this.#pendingBytes = 0;
    if (this.#settled) return;
    const converted = convertEvent(event, this.#converter, this.#onUsage);
    if (typeof converted === "string") this.#batch += converted;
    else {
      this.#flush();
      this.#stop({ kind: "unconvertible", error: converted });
    }
  }

  /** Writes the batch; false when the client is full (the flow resumes on its drain). */
  #flush(): boolean {
    if (this.#batch === "") return !this.#waiting;
    const frames = this.#batch;
    this.#batch = "";
    if (this.#raw.write(frames)) return true;
    if (!this.#waiting) {
      this.#waiting = true;
      // Made only under back-pressure: most streams never wait.
      this.#raw.once("drain", () => this.#drained());
    }
    return false;
  }

  #drained(): void {
    this.#waiting = false;
    if (!this.#settled) this.#flow?.resume();
  }

  #settle(outcome: Drained): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#raw.off("close", this.#onClose);
    this.#resolve(outcome);
  }

  /** Settles and lets the upstream go: aborting its flow aborts its request. */
  #stop(outcome: Drained): void {
    this.#settle(outcome);
    if (this.#flow) this.#flow.abort();
    else this.#abortPending = true;
  }
}

/** What the converter makes of one event, as the frames' text, or the error it threw. */
function convertEvent(
  event: SseMessage,
  converter: StreamConverter,
  onUsage: PumpOptions["onUsage"],
): string | Error {
  if (onUsage !== undefined) {
    const usage = findUsageInText(event.data);
    if (usage) onUsage(usage);
  }
  try {
    const frames = converter.event(event);
    return frames.length === 1 ? frames[0]! : frames.join("");
  } catch (error) {
    // A converter that cannot read the backend's event ends this stream, not the process.
    return error as Error;
  }
}
