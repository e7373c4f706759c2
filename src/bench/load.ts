/**
 * The load generator core: drives one HTTP target with a closed loop (N workers, each sending its
 * next request when the previous one ends) or an open loop (arrivals at a fixed rate, constant or
 * Poisson, whatever the target's speed), and records latency, time to first byte and errors.
 *
 * Contracts:
 * - Every run is bounded in time (`durationMs`, default 10 s) and optionally in count (`requests`);
 *   after the window it waits at most `drainTimeoutMs` for requests in flight, then aborts them.
 * - Open-loop latency is measured from each request's *scheduled* send time, so a slow target
 *   cannot hide its queueing (no coordinated omission); `serviceLatency` is from the actual send.
 * - Only requests scheduled after the warm-up count. Latency histograms hold 2xx responses only;
 *   everything else is counted in `errors` by kind, status and code.
 * - Requests go through one undici Pool (keep-alive, no pipelining) sized to the concurrency,
 *   using the raw dispatch API so the generator spends as little CPU as it can per request.
 * @module
 */
import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceParser } from "eventsource-parser";
import { type Dispatcher, Pool } from "undici";
import { LatencyHistogram, type LatencySummary } from "./histogram.js";

/** One request to send. `stream: true` marks a streaming (SSE) response: TTFB is recorded. */
export interface RequestSpec {
  method: string;
  path: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  stream?: boolean;
}

export type LoadMode =
  | { kind: "closed"; concurrency: number }
  | {
      kind: "open";
      /** Requests per second. */
      rate: number;
      /** Inter-arrival times: fixed 1/rate (default) or exponential (Poisson process). */
      arrivals?: "constant" | "poisson";
      /** Arrivals beyond this many requests in flight are not sent and count as `overload` errors. */
      maxInflight?: number;
      /**
       * Node timers fire on a 1 ms clock, so a timer-driven sender is up to ~1 ms late (see `sendLag`).
       * With `precise`, the last 2 ms before an arrival are waited out with setImmediate instead:
       * send lag drops to microseconds, at the cost of keeping one core busy. Default false.
       */
      precise?: boolean;
    };

export interface LoadOptions {
  /** The target's origin, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** A fixed request, or a function of the request's index (0-based, warm-up included). */
  request: RequestSpec | ((index: number) => RequestSpec);
  mode: LoadMode;
  /** Length of the measured window in ms (after the warm-up). Default 10,000. */
  durationMs?: number;
  /** Stop after this many measured requests, even if the window is not over. */
  requests?: number;
  /** Requests sent during this many ms before the window are not recorded. Default 0. */
  warmupMs?: number;
  /** Pool size. Default: the concurrency (closed loop) or 64 (open loop). */
  connections?: number;
  /** Headers and body (between chunks) timeout per request, in ms. Default 30,000. */
  timeoutMs?: number;
  /** How long to wait for requests in flight once the window is over. Default 5,000 ms. */
  drainTimeoutMs?: number;
  /** Streaming responses: `bytes` records TTFB only; `events` also parses SSE for TTFT and `[DONE]`. */
  sse?: "bytes" | "events";
  /** Use this dispatcher instead of a fresh Pool; it is left open afterwards. */
  dispatcher?: Dispatcher;
  /** Aborting stops the run at once (requests in flight are aborted); the partial result is returned. */
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  progressIntervalMs?: number;
  /** Source of randomness for Poisson arrivals (tests pass a seeded one). Default Math.random. */
  random?: () => number;
}

export interface LoadProgress {
  phase: "warmup" | "measure" | "drain";
  elapsedMs: number;
  sent: number;
  ok: number;
  failed: number;
  inflight: number;
}

export type ErrorKind =
  | "status"
  | "timeout"
  | "connect"
  | "socket"
  | "aborted"
  | "overload"
  | "incomplete"
  | "other";

export interface ErrorCounts {
  total: number;
  byKind: Partial<Record<ErrorKind, number>>;
  /** Non-2xx responses by status code. */
  byStatus: Record<string, number>;
  /** Transport errors by their code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, …). */
  byCode: Record<string, number>;
}

export interface LoadResult {
  mode: LoadMode;
  /** Measured requests sent (warm-up excluded). */
  sent: number;
  /** 2xx responses read to the end. */
  ok: number;
  errors: ErrorCounts;
  /** From the window's start to the later of its end and the last measured completion. */
  elapsedMs: number;
  /** `ok` per second of `elapsedMs`. */
  throughput: number;
  bytesReceived: number;
  /** From the scheduled send time to the last byte (closed loop: scheduled = actual send). */
  latency: LatencyHistogram;
  /** From the actual send to the last byte. */
  serviceLatency: LatencyHistogram;
  /** From the scheduled send time to the first body byte; streaming requests only. */
  ttfb: LatencyHistogram;
  /** From the scheduled send time to the first SSE data event; `sse: "events"` only. */
  ttft: LatencyHistogram;
  /** How late the generator sent each request after its scheduled time (open loop). */
  sendLag: LatencyHistogram;
  /** CPU the generator's process used during the window, as % of one core. */
  generatorCpuPercent: number;
  /** True when the run was cut short by `signal`. */
  aborted: boolean;
}

/** Summaries instead of histograms: what a report or `--json` writes. */
export interface LoadSummary
  extends Omit<LoadResult, "latency" | "serviceLatency" | "ttfb" | "ttft" | "sendLag"> {
  latency: LatencySummary;
  serviceLatency: LatencySummary;
  ttfb: LatencySummary;
  ttft: LatencySummary;
  sendLag: LatencySummary;
}

export function summarize(result: LoadResult): LoadSummary {
  return {
    ...result,
    latency: result.latency.summary(),
    serviceLatency: result.serviceLatency.summary(),
    ttfb: result.ttfb.summary(),
    ttft: result.ttft.summary(),
    sendLag: result.sendLag.summary(),
  };
}

/** A JSON POST request (the body is serialised once). */
export function jsonRequest(path: string, payload: unknown, stream = false): RequestSpec {
  return {
    method: "POST",
    path,
    headers: {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
    },
    body: JSON.stringify(payload),
    stream,
  };
}

/** Runs one load phase against `options.url` and resolves when it is over and drained. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const run = new LoadRun(options);
  return run.start();
}

const TRANSPORT_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  ETIMEDOUT: "timeout",
  ECONNREFUSED: "connect",
  ENOTFOUND: "connect",
  EHOSTUNREACH: "connect",
  EADDRNOTAVAIL: "connect",
  UND_ERR_SOCKET: "socket",
  ECONNRESET: "socket",
  EPIPE: "socket",
  UND_ERR_ABORTED: "aborted",
  UND_ERR_DESTROYED: "aborted",
  UND_ERR_CLOSED: "aborted",
  ABORT_ERR: "aborted",
};

/** The kind of a transport error, from its `code` (undici's or the socket's). */
export function classifyError(error: unknown): { kind: ErrorKind; code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof code === "string") return { kind: TRANSPORT_ERROR_KINDS[code] ?? "other", code };
  if (name === "AbortError") return { kind: "aborted", code: "ABORT_ERR" };
  return { kind: "other", code: typeof name === "string" ? name : "Error" };
}

interface PreparedRequest {
  method: Dispatcher.HttpMethod;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  stream: boolean;
}

function prepare(spec: RequestSpec): PreparedRequest {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers: Record<string, string> = { ...spec.headers };
  if (body && !Object.keys(headers).some((name) => name.toLowerCase() === "content-length"))
    headers["content-length"] = String(body.length);
  return {
    method: spec.method as Dispatcher.HttpMethod,
    path: spec.path,
    headers,
    body,
    stream: spec.stream === true,
  };
}

class DrainTimeoutError extends Error {
  readonly code = "UND_ERR_ABORTED";
}

/** The state of one run. Each request's handler reports back through `complete`. */
class LoadRun {
  readonly #options: LoadOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #request: (index: number) => PreparedRequest;
  readonly #durationMs: number;
  readonly #maxRequests: number;
  readonly #inflight = new Set<RequestHandler>();
  readonly #result: LoadResult;
  #startAt = 0;
  #measureAt = 0;
  #endAt = 0;
  #index = 0;
  #issuing = true;
  #stoppedAt = 0;
  #lastCompletionAt = 0;
  #cpuAtMeasure: NodeJS.CpuUsage | undefined;
  #finish: (() => void) | undefined;
  #timers: NodeJS.Timeout[] = [];
  #tickTimer: NodeJS.Timeout | undefined;
  #tickImmediate: NodeJS.Immediate | undefined;

  constructor(options: LoadOptions) {
    this.#options = options;
    const connections =
      options.connections ?? (options.mode.kind === "closed" ? options.mode.concurrency : 64);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Pool(options.url, { connections, pipelining: 1 });
    const request = options.request;
    if (typeof request === "function") this.#request = (index) => prepare(request(index));
    else {
      const prepared = prepare(request);
      this.#request = () => prepared;
    }
    this.#durationMs = options.durationMs ?? 10_000;
    this.#maxRequests = options.requests ?? Number.POSITIVE_INFINITY;
    this.#result = {
      mode: options.mode,
      sent: 0,
      ok: 0,
      errors: { total: 0, byKind: {}, byStatus: {}, byCode: {} },
      elapsedMs: 0,
      throughput: 0,
      bytesReceived: 0,
      latency: new LatencyHistogram(),
      serviceLatency: new LatencyHistogram(),
      ttfb: new LatencyHistogram(),
      ttft: new LatencyHistogram(),
      sendLag: new LatencyHistogram(),
      generatorCpuPercent: 0,
      aborted: false,
    };
  }

  async start(): Promise<LoadResult> {
    const { mode, signal } = this.#options;
    if (mode.kind === "closed" && !(mode.concurrency >= 1)) throw new RangeError("concurrency must be ≥ 1");
    if (mode.kind === "open" && !(mode.rate > 0)) throw new RangeError("rate must be > 0");
    const done = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
    const onAbort = () => this.#abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#startAt = performance.now();
    this.#measureAt = this.#startAt + (this.#options.warmupMs ?? 0);
    this.#endAt = this.#measureAt + this.#durationMs;
    this.#startProgress();
    // The window ends on time even when no response comes back to notice it.
    this.#timers.push(setTimeout(() => this.#stopIssuing(performance.now()), this.#endAt - this.#startAt));
    if (signal?.aborted) this.#abort();
    else if (mode.kind === "closed")
      for (let worker = 0; worker < mode.concurrency; worker++) this.#nextClosed();
    else this.#tickOpen(mode, this.#startAt);
    await done;
    signal?.removeEventListener("abort", onAbort);
    for (const timer of this.#timers) clearTimeout(timer);
    clearTimeout(this.#tickTimer);
    if (this.#tickImmediate) clearImmediate(this.#tickImmediate);
    if (this.#ownsDispatcher) await this.#dispatcher.destroy();
    return this.#finalize();
  }

  /** Called by a handler exactly once when its request ends, well or badly. */
  complete(handler: RequestHandler, error: unknown): void {
    this.#inflight.delete(handler);
    const now = performance.now();
    if (handler.measured) {
      this.#lastCompletionAt = now;
      const result = this.#result;
      result.bytesReceived += handler.bytes;
      const status = handler.status;
      if (error !== undefined) {
        const { kind, code } = classifyError(error);
        this.#countError(kind, code);
      } else if (status < 200 || status > 299) {
        this.#countError("status");
        result.errors.byStatus[status] = (result.errors.byStatus[status] ?? 0) + 1;
      } else if (handler.parser && !handler.sawDone) {
        this.#countError("incomplete");
      } else {
        result.ok++;
        result.latency.recordMs(now - handler.scheduledAt);
        result.serviceLatency.recordMs(now - handler.sentAt);
        if (handler.stream && handler.firstByteAt > 0)
          result.ttfb.recordMs(handler.firstByteAt - handler.scheduledAt);
        if (handler.firstEventAt > 0) result.ttft.recordMs(handler.firstEventAt - handler.scheduledAt);
      }
    }
    if (this.#options.mode.kind === "closed") {
      // After a failure, yield to the event loop so a target that refuses at once cannot recurse.
      if (error === undefined) this.#nextClosed();
      else setImmediate(() => this.#nextClosed());
    }
    this.#maybeFinish();
  }

  #countError(kind: ErrorKind, code?: string): void {
    const errors = this.#result.errors;
    errors.total++;
    errors.byKind[kind] = (errors.byKind[kind] ?? 0) + 1;
    if (code !== undefined) errors.byCode[code] = (errors.byCode[code] ?? 0) + 1;
  }

  #nextClosed(): void {
    const now = performance.now();
    if (this.#issuing && (now >= this.#endAt || this.#result.sent >= this.#maxRequests))
      this.#stopIssuing(now);
    if (this.#issuing) this.#send(now, now);
    else this.#maybeFinish();
  }

  #tickOpen(mode: Extract<LoadMode, { kind: "open" }>, firstAt: number): void {
    const { rate, arrivals = "constant", maxInflight = 100_000, precise = false } = mode;
    const random = this.#options.random ?? Math.random;
    const gapMs = () => (arrivals === "poisson" ? (-Math.log(1 - random()) / rate) * 1000 : 1000 / rate);
    let nextAt = firstAt;
    const tick = () => {
      if (!this.#issuing) return;
      const now = performance.now();
      // Send everything that is due, each stamped with its scheduled time (bounded by maxInflight).
      while (nextAt <= now) {
        if (nextAt >= this.#endAt || this.#result.sent >= this.#maxRequests) {
          this.#stopIssuing(now);
          return;
        }
        if (this.#inflight.size >= maxInflight) {
          if (nextAt >= this.#measureAt) {
            this.#result.sent++;
            this.#countError("overload");
          }
        } else this.#send(nextAt, now);
        nextAt += gapMs();
      }
      // Node timers have 1 ms granularity; lateness shows in `sendLag` and in the latency.
      const waitMs = nextAt - performance.now();
      if (precise && waitMs < 2) this.#tickImmediate = setImmediate(tick);
      else this.#tickTimer = setTimeout(tick, Math.max(1, Math.floor(precise ? waitMs - 1 : waitMs)));
    };
    tick();
  }

  #send(scheduledAt: number, sentAt: number): void {
    const measured = scheduledAt >= this.#measureAt;
    if (measured) {
      this.#cpuAtMeasure ??= process.cpuUsage();
      this.#result.sent++;
      this.#result.sendLag.recordMs(sentAt - scheduledAt);
    }
    const request = this.#request(this.#index++);
    const parser = request.stream && this.#options.sse === "events";
    const handler = new RequestHandler(this, request.stream, parser, scheduledAt, sentAt, measured);
    this.#inflight.add(handler);
    const timeout = this.#options.timeoutMs ?? 30_000;
    try {
      this.#dispatcher.dispatch(
        {
          origin: this.#options.url,
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body ?? null,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        handler,
      );
    } catch (error) {
      handler.onResponseError(undefined, error as Error);
    }
  }

  #stopIssuing(now: number): void {
    if (!this.#issuing) return;
    this.#issuing = false;
    this.#stoppedAt = Math.min(now, this.#endAt);
    const drainMs = this.#options.drainTimeoutMs ?? 5_000;
    this.#timers.push(setTimeout(() => this.#abortInflight(new DrainTimeoutError("drain timeout")), drainMs));
    this.#maybeFinish();
  }

  #abort(): void {
    this.#result.aborted = true;
    this.#stopIssuing(performance.now());
    this.#abortInflight(new DrainTimeoutError("load run aborted"));
  }

  #abortInflight(reason: Error): void {
    for (const handler of [...this.#inflight]) handler.abort(reason);
    // A handler whose request never reached the dispatcher cannot be aborted; do not wait for it.
    this.#timers.push(
      setTimeout(() => {
        this.#inflight.clear();
        this.#maybeFinish();
      }, 1_000),
    );
  }

  #maybeFinish(): void {
    if (!this.#issuing && this.#inflight.size === 0 && this.#finish) {
      const finish = this.#finish;
      this.#finish = undefined;
      finish();
    }
  }

  #startProgress(): void {
    const onProgress = this.#options.onProgress;
    if (!onProgress) return;
    const timer = setInterval(() => {
      const now = performance.now();
      const phase = !this.#issuing ? "drain" : now < this.#measureAt ? "warmup" : "measure";
      const { sent, ok, errors } = this.#result;
      onProgress({
        phase,
        elapsedMs: now - this.#startAt,
        sent,
        ok,
        failed: errors.total,
        inflight: this.#inflight.size,
      });
    }, this.#options.progressIntervalMs ?? 1_000);
    timer.unref();
    this.#timers.push(timer);
  }

  #finalize(): LoadResult {
    const result = this.#result;
    const windowEnd = Math.max(this.#stoppedAt, this.#lastCompletionAt);
    result.elapsedMs = Math.max(0, windowEnd - this.#measureAt);
    result.throughput = result.elapsedMs > 0 ? (result.ok * 1000) / result.elapsedMs : 0;
    if (this.#cpuAtMeasure && result.elapsedMs > 0) {
      const cpu = process.cpuUsage(this.#cpuAtMeasure);
      result.generatorCpuPercent = ((cpu.user + cpu.system) / 1000 / result.elapsedMs) * 100;
    }
    return result;
  }
}

/** Per-request state machine for undici's dispatch API; reports to the run exactly once. */
class RequestHandler implements Dispatcher.DispatchHandler {
  readonly #run: LoadRun;
  readonly stream: boolean;
  readonly scheduledAt: number;
  readonly sentAt: number;
  readonly measured: boolean;
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
    run: LoadRun,
    stream: boolean,
    parse: boolean,
    scheduledAt: number,
    sentAt: number,
    measured: boolean,
  ) {
    this.#run = run;
    this.stream = stream;
    this.scheduledAt = scheduledAt;
    this.sentAt = sentAt;
    this.measured = measured;
    if (parse) {
      this.#decoder = new StringDecoder("utf8");
      this.parser = createParser({
        onEvent: (event) => {
          if (event.data === "[DONE]") this.sawDone = true;
          else if (this.firstEventAt === 0) this.firstEventAt = performance.now();
        },
      });
    }
  }

  abort(reason: Error): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.firstByteAt === 0) this.firstByteAt = performance.now();
    this.bytes += chunk.length;
    if (this.parser && this.#decoder) this.parser.feed(this.#decoder.write(chunk));
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
