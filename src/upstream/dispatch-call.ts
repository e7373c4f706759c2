/**
 * One upstream call through `dispatch()` with a handler of our own, instead of undici's `request()`:
 * a body that is read whole (a JSON answer, a refusal's message) is collected in the handler, with
 * no Readable between the socket and the buffer; a body that goes on to the client as it arrives is
 * handed, chunk by chunk, to whoever forwards it (the pipe or the SSE pump), with back-pressure
 * through the controller's pause and resume. A Readable is made only for a caller that asks for
 * `body` (a body let go unread).
 *
 * What `request()` gave and this keeps: the abort signal (before and after the answer starts),
 * informational (1xx) answers ignored, the headers and body timeouts as given (undici enforces them
 * from the dispatch options), a body bound that aborts the call past it, and undici's own errors.
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { type Dispatcher, errors } from "undici";
import type { ClientGone } from "./client-gone.js";
import { BodyTooLargeError } from "./read-bounded.js";

export interface CallOptions {
  method: Dispatcher.HttpMethod;
  path: string;
  headers: Record<string, string>;
  body: Buffer | string;
  signal: ClientGone;
  headersTimeout: number;
  bodyTimeout: number;
}

/** What an answer's start says: enough to decide how its body is read. */
export interface AnswerHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

/**
 * How the body of this answer is read: a byte limit to collect it whole within (past it the call
 * is aborted with BodyTooLargeError), or undefined to stream it.
 */
export type BodyChoice = (head: AnswerHead) => number | undefined;

export interface UpstreamAnswer extends AnswerHead {
  /** The whole body, when the choice was to collect it. */
  readonly collected?: Promise<Buffer> | undefined;
  /** The body as a stream, made on first use (for a collected one, from what was collected). */
  readonly body: Readable;
  /**
   * A streamed body's chunks handed to `sink` as they arrive, with no Readable between (absent on a
   * collected answer). Use this or `body`, not both.
   */
  forward?(sink: BodySink): BodyFlow;
}

/** Who takes a streamed body's chunks from the call's handler. */
export interface BodySink {
  /** False: no more until the flow's `resume()`. */
  write(chunk: Buffer): boolean;
  end(): void;
  /** The call failed (undici's error); not told after the sink's own `abort`. */
  error(error: Error): void;
}

/** The sink's side of a forwarded body. */
export interface BodyFlow {
  /** The sink has room again. */
  resume(): void;
  /** The sink is gone: the call is aborted, nothing more is told. */
  abort(error?: Error): void;
}

/** Most of an unwanted streamed body read to keep its connection, as undici's `dump()` does. */
const DISCARD_LIMIT = 128 * 1024;

/**
 * Lets a body nobody wants go: a collected one is awaited (it is bounded), a streamed one read up
 * to a limit, then destroyed (which aborts the call). Never throws.
 */
export async function discardBody(answer: UpstreamAnswer): Promise<void> {
  if (answer.collected) {
    await answer.collected.catch(() => undefined);
    return;
  }
  const { body } = answer;
  if (body.destroyed || body.readableEnded) return;
  await new Promise<void>((resolve) => {
    let read = 0;
    body.on("error", () => resolve());
    body.once("close", () => resolve());
    body.once("end", () => resolve());
    body.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read > DISCARD_LIMIT) body.destroy();
    });
  });
}

/** Sends the call; resolves when the answer starts (1xx aside), rejects with undici's error before. */
export function dispatchCall(
  dispatcher: Dispatcher,
  options: CallOptions,
  choose: BodyChoice,
): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    if (options.signal.aborted) return reject(new errors.RequestAbortedError());
    const handler = new CallHandler(options.signal, choose, resolve, reject);
    dispatcher.dispatch(
      {
        method: options.method,
        path: options.path,
        headers: options.headers,
        body: options.body,
        headersTimeout: options.headersTimeout,
        bodyTimeout: options.bodyTimeout,
      },
      handler,
    );
  });
}

const STREAM_HIGH_WATER_MARK = 64 * 1024;

type Phase = "waiting" | "collecting" | "streaming" | "done";

class CallHandler implements Dispatcher.DispatchHandler {
  readonly #signal: ClientGone;
  readonly #choose: BodyChoice;
  #resolve: ((answer: UpstreamAnswer) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #phase: Phase = "waiting";
  /** Set when the signal fired before the request reached a connection. */
  #abortedEarly = false;
  #limit = 0;
  #chunks: Buffer[] = [];
  #total = 0;
  #settleBody: { resolve: (body: Buffer) => void; reject: (error: Error) => void } | undefined;
  #sink: BodySink | undefined;
  /** A streamed body's chunks that came before its sink (the socket is paused meanwhile). */
  #pending: Buffer[] | undefined;
  #pendingBytes = 0;
  /** How a streamed body ended before its sink came: true, or the error. */
  #ended: true | Error | undefined;

  constructor(
    signal: ClientGone,
    choose: BodyChoice,
    resolve: (answer: UpstreamAnswer) => void,
    reject: (error: Error) => void,
  ) {
    this.#signal = signal;
    this.#choose = choose;
    this.#resolve = resolve;
    this.#reject = reject;
    signal.on("abort", this.#onAbort);
  }

  readonly #onAbort = () => {
    const controller = this.#controller;
    if (controller) controller.abort(new errors.RequestAbortedError());
    else this.#abortedEarly = true;
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortedEarly) controller.abort(new errors.RequestAbortedError());
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // An informational answer (100 Continue, 103 Early Hints) is not the answer.
    if (statusCode < 200) return;
    const resolve = this.#resolve;
    if (!resolve) return;
    this.#resolve = undefined;
    this.#reject = undefined;
    const head = { statusCode, headers };
    const limit = this.#choose(head);
    if (limit === undefined) {
      this.#phase = "streaming";
      resolve(new StreamedAnswer(statusCode, headers, this));
      return;
    }
    this.#phase = "collecting";
    this.#limit = limit;
    const declared = Number(headers["content-length"]);
    const collected = new Promise<Buffer>((resolveBody, rejectBody) => {
      this.#settleBody = { resolve: resolveBody, reject: rejectBody };
    });
    // Heard even when nobody waits for it (a body dropped unread).
    collected.catch(() => {});
    resolve(new CollectedAnswer(statusCode, headers, collected));
    if (Number.isFinite(declared) && declared > limit) this.#tooLarge(controller, declared);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#phase === "streaming") {
      const sink = this.#sink;
      if (!sink) {
        if (this.#pending) this.#pending.push(chunk);
        else this.#pending = [chunk];
        // The sink comes within the same turn's microtasks: only a flood holds the socket.
        this.#pendingBytes += chunk.length;
        if (this.#pendingBytes > STREAM_HIGH_WATER_MARK) controller.pause();
      } else if (!sink.write(chunk)) controller.pause();
      return;
    }
    if (this.#phase !== "collecting") return;
    this.#total += chunk.length;
    if (this.#total > this.#limit) this.#tooLarge(controller, undefined);
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const phase = this.#phase;
    this.#finish();
    if (phase === "streaming") {
      if (this.#sink) this.#sink.end();
      else this.#ended = true;
    } else if (phase === "collecting") {
      const chunks = this.#chunks;
      this.#settleBody!.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#total));
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const phase = this.#phase;
    this.#finish();
    if (phase === "waiting") this.#reject?.(error);
    else if (phase === "collecting") this.#settleBody!.reject(error);
    else if (phase === "streaming") {
      if (this.#sink) this.#sink.error(error);
      else this.#ended = error;
    }
  }

  /** The streamed body's sink: what came before it first, then the socket resumed. */
  attach(sink: BodySink): BodyFlow {
    if (this.#sink) throw new Error("a streamed body has one reader");
    this.#sink = sink;
    const pending = this.#pending;
    this.#pending = undefined;
    let room = true;
    if (pending) for (const chunk of pending) room = sink.write(chunk) && room;
    const ended = this.#ended;
    if (ended === true) sink.end();
    else if (ended) sink.error(ended);
    else if (room) this.resume();
    return this;
  }

  resume(): void {
    const controller = this.#controller!;
    if (this.#phase === "streaming" && controller.paused) controller.resume();
  }

  abort(error?: Error): void {
    if (this.#phase === "done") return;
    this.#finish();
    this.#controller!.abort(error ?? new errors.RequestAbortedError());
  }

  #tooLarge(controller: Dispatcher.DispatchController, declared: number | undefined): void {
    const error = new BodyTooLargeError(this.#limit, declared);
    this.#finish();
    this.#chunks = [];
    this.#settleBody!.reject(error);
    controller.abort(error);
  }

  /** No more events matter: the signal is let go. */
  #finish(): void {
    if (this.#phase === "done") return;
    this.#phase = "done";
    this.#signal.off("abort", this.#onAbort);
  }
}

class StreamedAnswer implements UpstreamAnswer {
  readonly collected = undefined;
  readonly #source: CallHandler;
  #body: Readable | undefined;

  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    source: CallHandler,
  ) {
    this.#source = source;
  }

  forward(sink: BodySink): BodyFlow {
    return this.#source.attach(sink);
  }

  get body(): Readable {
    if (this.#body) return this.#body;
    const source = this.#source;
    let flow: BodyFlow | undefined;
    const stream = new Readable({
      // As undici's own body: fewer pauses of the socket than Node's 16 KiB default.
      highWaterMark: STREAM_HIGH_WATER_MARK,
      read: () => flow?.resume(),
      destroy: (error, callback) => {
        flow?.abort(error ?? undefined);
        callback(error);
      },
    });
    this.#body = stream;
    flow = source.attach({
      write: (chunk) => stream.push(chunk),
      end: () => stream.push(null),
      error: (error) => stream.destroy(error),
    });
    return stream;
  }
}

class CollectedAnswer implements UpstreamAnswer {
  #body: Readable | undefined;
  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly collected: Promise<Buffer>,
  ) {}

  /** Only a caller that did not take the collected body needs this; none on the usual path. */
  get body(): Readable {
    if (!this.#body) {
      const stream = new Readable({ read() {} });
      this.collected.then(
        (bytes) => {
          stream.push(bytes);
          stream.push(null);
        },
        (error: Error) => stream.destroy(error),
      );
      this.#body = stream;
    }
    return this.#body;
  }
}
