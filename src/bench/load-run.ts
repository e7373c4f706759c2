/**
 * The state of one load run: the closed loop (N workers, each sending its next request when the
 * previous one ends, after its think time if the mode gives one) or the open loop (arrivals on a
 * schedule, constant or Poisson, whatever the target's speed), the measured window, the drain, and
 * the tally. See `load.ts` for the contracts.
 * @module
 */
import { performance } from "node:perf_hooks";
import { type Dispatcher, Pool } from "undici";
import { arrivalGaps } from "./arrivals.js";
import { LatencyHistogram } from "./histogram.js";
import type {
  ErrorKind,
  LoadMode,
  LoadOptions,
  LoadProgress,
  LoadResult,
  ResponseObserver,
} from "./load-types.js";
import { type CompletionSink, RequestHandler } from "./request-handler.js";
import { type PreparedRequest, prepare } from "./request-spec.js";
import { RunAbortError } from "./transport-errors.js";

export class LoadRun implements CompletionSink {
  readonly #options: LoadOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #request: (index: number, worker?: number) => PreparedRequest;
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
  /** Closed-loop workers thinking before their next request. */
  readonly #thinking = new Set<NodeJS.Timeout>();
  #tickTimer: NodeJS.Timeout | undefined;
  #tickImmediate: NodeJS.Immediate | undefined;

  constructor(options: LoadOptions) {
    this.#options = options;
    const connections =
      options.connections ?? (options.mode.kind === "closed" ? options.mode.concurrency : 64);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Pool(options.url, { connections, pipelining: 1 });
    const request = options.request;
    if (typeof request === "function") this.#request = (index, worker) => prepare(request(index, worker));
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
      stopped: false,
    };
  }

  async start(): Promise<LoadResult> {
    const { mode, signal, stopSignal } = this.#options;
    if (mode.kind === "closed" && !(mode.concurrency >= 1)) throw new RangeError("concurrency must be ≥ 1");
    if (mode.kind === "open" && !(mode.rate > 0)) throw new RangeError("rate must be > 0");
    const done = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
    const onAbort = () => this.#abort();
    const onStop = () => this.#stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    stopSignal?.addEventListener("abort", onStop, { once: true });
    this.#startAt = performance.now();
    this.#measureAt = this.#startAt + (this.#options.warmupMs ?? 0);
    this.#endAt = this.#measureAt + this.#durationMs;
    this.#startProgress();
    // The window ends on time even when no response comes back to notice it.
    this.#timers.push(setTimeout(() => this.#stopIssuing(performance.now()), this.#endAt - this.#startAt));
    if (signal?.aborted) this.#abort();
    else if (stopSignal?.aborted) this.#stop();
    else if (mode.kind === "closed")
      for (let worker = 0; worker < mode.concurrency; worker++) this.#afterThinking(worker);
    else this.#tickOpen(mode, this.#startAt);
    await done;
    signal?.removeEventListener("abort", onAbort);
    stopSignal?.removeEventListener("abort", onStop);
    for (const timer of this.#timers) clearTimeout(timer);
    for (const timer of this.#thinking) clearTimeout(timer);
    clearTimeout(this.#tickTimer);
    if (this.#tickImmediate) clearImmediate(this.#tickImmediate);
    if (this.#ownsDispatcher) await this.#dispatcher.destroy();
    return this.#finalize();
  }

  /** Called by a handler exactly once when its request ends, well or badly. */
  complete(handler: RequestHandler, error: unknown): void {
    this.#inflight.delete(handler);
    const now = performance.now();
    const failure = handler.failure(error);
    if (handler.measured) {
      this.#lastCompletionAt = now;
      const result = this.#result;
      result.bytesReceived += handler.bytes;
      if (failure) {
        this.#countError(failure.kind, failure.code);
        if (failure.kind === "status")
          result.errors.byStatus[handler.status] = (result.errors.byStatus[handler.status] ?? 0) + 1;
      } else {
        result.ok++;
        result.latency.recordMs(now - handler.scheduledAt);
        result.serviceLatency.recordMs(now - handler.sentAt);
        if (handler.stream && handler.firstByteAt > 0)
          result.ttfb.recordMs(handler.firstByteAt - handler.scheduledAt);
        if (handler.firstEventAt > 0) result.ttft.recordMs(handler.firstEventAt - handler.scheduledAt);
      }
    }
    handler.observer?.onEnd?.({
      measured: handler.measured,
      scheduledAt: handler.scheduledAt,
      sentAt: handler.sentAt,
      firstByteAt: handler.firstByteAt,
      endedAt: now,
      status: handler.status,
      ...(failure ? { error: failure } : {}),
    });
    const worker = handler.worker;
    if (worker !== undefined) {
      // After a failure, yield to the event loop so a target that refuses at once cannot recurse.
      if (error === undefined) this.#afterThinking(worker);
      else setImmediate(() => this.#afterThinking(worker));
    }
    this.#maybeFinish();
  }

  #countError(kind: ErrorKind, code?: string): void {
    const errors = this.#result.errors;
    errors.total++;
    errors.byKind[kind] = (errors.byKind[kind] ?? 0) + 1;
    if (code !== undefined) errors.byCode[code] = (errors.byCode[code] ?? 0) + 1;
  }

  /** The worker's next request, after its think time when the mode gives one. */
  #afterThinking(worker: number): void {
    const mode = this.#options.mode;
    const thinkMs = mode.kind === "closed" && this.#issuing ? (mode.thinkMs?.(worker) ?? 0) : 0;
    if (!(thinkMs > 0)) {
      this.#nextClosed(worker);
      return;
    }
    const timer = setTimeout(() => {
      this.#thinking.delete(timer);
      this.#nextClosed(worker);
    }, thinkMs);
    this.#thinking.add(timer);
  }

  #nextClosed(worker: number): void {
    const now = performance.now();
    if (this.#issuing && (now >= this.#endAt || this.#result.sent >= this.#maxRequests))
      this.#stopIssuing(now);
    if (this.#issuing) this.#send(now, now, worker);
    else this.#maybeFinish();
  }

  #tickOpen(mode: Extract<LoadMode, { kind: "open" }>, firstAt: number): void {
    const { rate, arrivals = "constant", maxInflight = 100_000, precise = false } = mode;
    const gapMs = arrivalGaps(rate, arrivals, this.#options.random ?? Math.random);
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
        if (this.#inflight.size >= maxInflight) this.#overload(nextAt, now);
        else this.#send(nextAt, now);
        nextAt += gapMs();
      }
      // Node timers have 1 ms granularity; lateness shows in `sendLag` and in the latency.
      const waitMs = nextAt - performance.now();
      if (precise && waitMs < 2) this.#tickImmediate = setImmediate(tick);
      else this.#tickTimer = setTimeout(tick, Math.max(1, Math.floor(precise ? waitMs - 1 : waitMs)));
    };
    tick();
  }

  /** An arrival that found `maxInflight` requests in flight: counted, never sent. */
  #overload(scheduledAt: number, now: number): void {
    const measured = scheduledAt >= this.#measureAt;
    if (measured) {
      this.#result.sent++;
      this.#countError("overload");
    }
    const observer = this.#options.observe?.(this.#index++);
    observer?.onEnd?.({
      measured,
      scheduledAt,
      sentAt: 0,
      firstByteAt: 0,
      endedAt: now,
      status: 0,
      error: { kind: "overload" },
    });
  }

  #send(scheduledAt: number, sentAt: number, worker?: number): void {
    const measured = scheduledAt >= this.#measureAt;
    if (measured) {
      this.#cpuAtMeasure ??= process.cpuUsage();
      this.#result.sent++;
      this.#result.sendLag.recordMs(sentAt - scheduledAt);
    }
    const index = this.#index++;
    const request = this.#request(index, worker);
    const observer: ResponseObserver | undefined = this.#options.observe?.(index, worker);
    const parse = request.stream && (this.#options.sse === "events" || observer !== undefined);
    const timing = { scheduledAt, sentAt, measured, worker };
    const handler = new RequestHandler(this, request.stream, parse, timing, observer);
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
    this.#timers.push(setTimeout(() => this.#abortInflight(new RunAbortError("drain timeout")), drainMs));
    this.#maybeFinish();
  }

  #stop(): void {
    if (this.#issuing) this.#result.stopped = true;
    this.#stopIssuing(performance.now());
  }

  #abort(): void {
    this.#result.aborted = true;
    this.#stopIssuing(performance.now());
    this.#abortInflight(new RunAbortError("load run aborted"));
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
    const report = (phase?: LoadProgress["phase"]) => {
      const now = performance.now();
      const { sent, ok, errors } = this.#result;
      onProgress({
        phase: phase ?? (!this.#issuing ? "drain" : now < this.#measureAt ? "warmup" : "measure"),
        elapsedMs: now - this.#startAt,
        sent,
        ok,
        failed: errors.total,
        inflight: this.#inflight.size,
      });
    };
    // Each phase is reported as it begins, not only on the interval: on a starved event loop a
    // short warm-up can pass between two ticks and never be shown.
    const warmupMs = this.#measureAt - this.#startAt;
    if (warmupMs > 0) {
      report("warmup");
      const measureTimer = setTimeout(() => {
        if (this.#issuing) report("measure");
      }, warmupMs);
      measureTimer.unref();
      this.#timers.push(measureTimer);
    }
    const timer = setInterval(report, this.#options.progressIntervalMs ?? 1_000);
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
