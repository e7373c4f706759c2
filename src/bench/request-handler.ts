/**
 * One request's state machine for undici's dispatch API: it times the first byte and (when parsing SSE)
 * the first event, passes headers, events and body chunks to the request's observer, and reports to
 * its run exactly once, whether the response ended or failed.
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceParser } from "eventsource-parser";
import type { Dispatcher } from "undici";
import type { RequestOutcome, ResponseObserver } from "./load-types.js";
import { classifyError } from "./transport-errors.js";

/** Where a handler reports its end: the run that sent it. */
export interface CompletionSink {
  complete(handler: RequestHandler, error: unknown): void;
}

/** When the request was scheduled and sent, and whether it counts (warm-up requests do not). */
export interface RequestTiming {
  scheduledAt: number;
  sentAt: number;
  measured: boolean;
  /** The closed-loop worker that sent it; undefined in the open loop. */
  worker?: number | undefined;
}

export class RequestHandler implements Dispatcher.DispatchHandler {
  readonly #run: CompletionSink;
  readonly stream: boolean;
  readonly scheduledAt: number;
  readonly sentAt: number;
  readonly measured: boolean;
  readonly worker: number | undefined;
  readonly observer: ResponseObserver | undefined;
  readonly parser: EventSourceParser | undefined;
  #decoder: StringDecoder | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #pendingAbort: Error | undefined;
  #done = false;
  status = 0;
  bytes = 0;
  firstByteAt = 0;
  firstEventAt = 0;
  sawDone = false;

  constructor(
    run: CompletionSink,
    stream: boolean,
    parse: boolean,
    timing: RequestTiming,
    observer: ResponseObserver | undefined,
  ) {
    this.#run = run;
    this.stream = stream;
    this.scheduledAt = timing.scheduledAt;
    this.sentAt = timing.sentAt;
    this.measured = timing.measured;
    this.worker = timing.worker;
    this.observer = observer;
    if (parse) {
      this.#decoder = new StringDecoder("utf8");
      this.parser = createParser({
        onEvent: (event) => {
          const at = performance.now();
          if (event.data === "[DONE]") this.sawDone = true;
          else if (this.firstEventAt === 0) this.firstEventAt = at;
          this.observer?.onEvent?.(event, at);
        },
      });
    }
  }

  /** True when the response was read to its end: `[DONE]`, or what the observer calls complete. */
  get streamComplete(): boolean {
    const check = this.observer?.isComplete;
    return check ? check.call(this.observer) : this.sawDone;
  }

  /** How the finished request is tallied: undefined when ok, else its error kind (and code). */
  failure(error: unknown): RequestOutcome["error"] {
    if (error !== undefined) return classifyError(error);
    if (this.status < 200 || this.status > 299) return { kind: "status" };
    if (this.parser && !this.streamComplete) return { kind: "incomplete" };
    return undefined;
  }

  abort(reason: Error): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    this.observer?.onHeaders?.(statusCode, headers);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.firstByteAt === 0) this.firstByteAt = performance.now();
    this.bytes += chunk.length;
    if (this.parser && this.#decoder) this.parser.feed(this.#decoder.write(chunk));
    else this.observer?.onData?.(chunk);
  }

  onResponseEnd(): void {
    if (this.#done) return;
    this.#done = true;
    this.#run.complete(this, undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#run.complete(this, error);
  }
}
