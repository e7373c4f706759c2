/**
 * The load generator's vocabulary: what to send (`RequestSpec`), how (`LoadMode`, `LoadOptions`),
 * what comes back (`LoadResult`), and the per-request hook (`ResponseObserver`) through which callers
 * such as the LLM bench take measurements the run itself does not (tokens, routing headers).
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import type { EventSourceMessage } from "eventsource-parser";
import type { Dispatcher } from "undici";
import type { LatencyHistogram, LatencySummary } from "./histogram.js";

/** One request to send. `stream: true` marks a streaming (SSE) response: TTFB is recorded. */
export interface RequestSpec {
  method: string;
  path: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  stream?: boolean;
}

export type LoadMode =
  | {
      kind: "closed";
      concurrency: number;
      /**
       * A worker's pause (ms) before each of its requests, its first included: the think time of
       * the user or agent it stands for (each worker is one conversation). None: no pause.
       */
      thinkMs?: (worker: number) => number;
    }
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

export type ErrorKind =
  | "status"
  | "timeout"
  | "connect"
  | "socket"
  | "aborted"
  | "overload"
  | "incomplete"
  | "other";

/**
 * How one request ended, handed to its observer exactly once. Times are `performance.now()` values;
 * `sentAt` and `firstByteAt` are 0 for an arrival that was never sent (overload).
 */
export interface RequestOutcome {
  /** False for warm-up requests: they count nowhere. */
  measured: boolean;
  scheduledAt: number;
  sentAt: number;
  firstByteAt: number;
  endedAt: number;
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** Absent when the request succeeded (2xx, and a complete stream). */
  error?: { kind: ErrorKind; code?: string };
}

/**
 * Watches one request's response. Every member is optional; the run calls them in order:
 * `onHeaders` at most once, then `onEvent` (streams) or `onData` (other bodies), then `onEnd` once.
 */
export interface ResponseObserver {
  onHeaders?(status: number, headers: IncomingHttpHeaders): void;
  /** Each SSE event of a streaming response, with the `performance.now()` it was parsed at. */
  onEvent?(event: EventSourceMessage, at: number): void;
  /** Each body chunk of a non-streaming response. */
  onData?(chunk: Buffer): void;
  /**
   * For streams: whether the stream reached its protocol's end (`[DONE]`, `message_stop`) without an
   * error event. Replaces the run's own `[DONE]` check; a false answer makes the request `incomplete`.
   */
  isComplete?(): boolean;
  onEnd?(outcome: RequestOutcome): void;
}

export interface LoadOptions {
  /** The target's origin, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /**
   * A fixed request, or a function of the request's index (0-based, warm-up included) and, in the
   * closed loop, of the worker that sends it (0 … concurrency − 1; undefined in the open loop).
   */
  request: RequestSpec | ((index: number, worker?: number) => RequestSpec);
  /**
   * An observer for the request of this index (called right after `request(index, worker)`, and for
   * overload arrivals too). Streaming responses are then parsed as SSE whatever `sse` says.
   */
  observe?: (index: number, worker?: number) => ResponseObserver;
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
  /** Aborting ends the window early: nothing new is sent, requests in flight drain as usual. */
  stopSignal?: AbortSignal;
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
  /** True when `stopSignal` ended the window early. */
  stopped: boolean;
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
