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
 * - A caller that needs more than these figures passes `observe`: each request's observer sees its
 *   headers, SSE events or body, and its outcome, exactly once (see `ResponseObserver`).
 *
 * This file is the entry point; the parts live in `load-types.ts`, `load-run.ts`,
 * `request-handler.ts`, `request-spec.ts` and `transport-errors.ts`.
 * @module
 */
import { LoadRun } from "./load-run.js";
import type { LoadOptions, LoadResult, LoadSummary } from "./load-types.js";

export type {
  ErrorCounts,
  ErrorKind,
  LoadMode,
  LoadOptions,
  LoadProgress,
  LoadResult,
  LoadSummary,
  RequestOutcome,
  RequestSpec,
  ResponseObserver,
} from "./load-types.js";
export { jsonRequest } from "./request-spec.js";
export { classifyError } from "./transport-errors.js";

/** Runs one load phase against `options.url` and resolves when it is over and drained. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new LoadRun(options).start();
}

/** The result with each histogram replaced by its summary. */
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
