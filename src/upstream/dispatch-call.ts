/**
 * One upstream call through `dispatch()` with a handler of our own, instead of undici's `request()`:
 * a body that is read whole (a JSON answer, a refusal's message) is collected in the handler, with
 * no Readable between the socket and the buffer; only a body that goes on to the client as it
 * arrives gets one, a plain Readable fed with back-pressure (the controller's pause and resume).
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
  /** The body as a stream: for a collected one, made on first use from what was collected. */
  readonly body: Readable;
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
  #stream: Readable | undefined;

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
      const stream = new Readable({
        // As undici's own body: fewer pauses of the socket than Node's 16 KiB default.
        highWaterMark: STREAM_HIGH_WATER_MARK,
        read: () => controller.resume(),
        destroy: (error, callback) => {
          if (this.#phase !== "done") {
            this.#finish();
            controller.abort(error ?? new errors.RequestAbortedError());
          }
          callback(error);
        },
      });
      this.#stream = stream;
      resolve(new StreamedAnswer(statusCode, headers, stream));
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
      if (!this.#stream!.push(chunk)) controller.pause();
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
    if (phase === "streaming") this.#stream!.push(null);
    else if (phase === "collecting") {
      const chunks = this.#chunks;
      this.#settleBody!.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#total));
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const phase = this.#phase;
    this.#finish();
    if (phase === "waiting") this.#reject?.(error);
    else if (phase === "collecting") this.#settleBody!.reject(error);
    else if (phase === "streaming" && !this.#stream!.destroyed) this.#stream!.destroy(error);
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
  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: Readable,
  ) {}
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
