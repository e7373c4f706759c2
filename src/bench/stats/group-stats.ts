/**
 * The figures of one group of requests (all of them, one model, or one backend): counts, goodput,
 * errors, and HDR histograms of TTFT, inter-token latency, end-to-end latency and output speed, plus a
 * throughput timeline. `record` is O(1) per request (O(tokens) for inter-token gaps).
 * @module
 */
import { LatencyHistogram, type LatencySummary } from "../histogram.js";
import type { ErrorCounts } from "../load-types.js";
import type { RequestSample } from "./request-sample.js";
import { Timeline } from "./timeline.js";

/** Service-level objectives: a request is "good" when it succeeded within every one given. */
export interface Slo {
  ttftMs?: number | undefined;
  latencyMs?: number | undefined;
}

/** One group's figures, as report.json writes them. Rates are per second of the measured window. */
export interface GroupSummary {
  requests: { sent: number; ok: number; failed: number; good: number };
  throughput: { requestsPerS: number; goodputPerS: number; outputTokensPerS: number };
  /** Good requests over sent ones (0 when none were sent). */
  goodputRatio: number;
  outputTokens: { total: number; perRequest: LatencySummary };
  ttftMs: LatencySummary;
  latencyMs: LatencySummary;
  interTokenMs: LatencySummary;
  /** Each successful request's output tokens over its end-to-end latency. */
  tokensPerSecondPerRequest: LatencySummary;
  errors: ErrorCounts;
}

/** Whether a sample meets the SLO; without a TTFT (non-streaming), the whole latency stands for it. */
export function meetsSlo(sample: RequestSample, slo: Slo): boolean {
  if (!sample.ok) return false;
  if (slo.ttftMs !== undefined && (sample.ttftMs ?? sample.latencyMs) > slo.ttftMs) return false;
  return slo.latencyMs === undefined || sample.latencyMs <= slo.latencyMs;
}

export class GroupStats {
  sent = 0;
  ok = 0;
  good = 0;
  outputTokens = 0;
  readonly errors: ErrorCounts = { total: 0, byKind: {}, byStatus: {}, byCode: {} };
  readonly latency = new LatencyHistogram();
  readonly ttft = new LatencyHistogram();
  readonly interToken = new LatencyHistogram();
  readonly tokensPerRequest = new LatencyHistogram();
  readonly tokensPerSecond = new LatencyHistogram();
  readonly timeline = new Timeline();
  readonly #slo: Slo;

  constructor(slo: Slo = {}) {
    this.#slo = slo;
  }

  record(sample: RequestSample): void {
    this.sent++;
    const firstTokenMs =
      sample.ttftMs === undefined ? sample.endedAtMs : sample.endedAtMs - sample.latencyMs + sample.ttftMs;
    this.timeline.record(sample.endedAtMs, sample.ok, sample.outputTokens, firstTokenMs);
    if (!sample.ok) {
      this.#countError(sample);
      return;
    }
    this.ok++;
    if (meetsSlo(sample, this.#slo)) this.good++;
    this.outputTokens += sample.outputTokens;
    this.latency.recordMs(sample.latencyMs);
    if (sample.ttftMs !== undefined) this.ttft.recordMs(sample.ttftMs);
    for (const gap of sample.interTokenMs) this.interToken.recordMs(gap);
    this.tokensPerRequest.recordMs(sample.outputTokens);
    if (sample.outputTokens > 0 && sample.latencyMs > 0)
      this.tokensPerSecond.recordMs((sample.outputTokens * 1000) / sample.latencyMs);
  }

  #countError(sample: RequestSample): void {
    const errors = this.errors;
    const error = sample.error ?? { kind: "other" };
    errors.total++;
    errors.byKind[error.kind] = (errors.byKind[error.kind] ?? 0) + 1;
    if (error.status !== undefined) errors.byStatus[error.status] = (errors.byStatus[error.status] ?? 0) + 1;
    if (error.code !== undefined) errors.byCode[error.code] = (errors.byCode[error.code] ?? 0) + 1;
  }

  /** The group's figures over a measured window of `elapsedMs`. */
  summary(elapsedMs: number): GroupSummary {
    const perSecond = (count: number) => (elapsedMs > 0 ? (count * 1000) / elapsedMs : 0);
    return {
      requests: { sent: this.sent, ok: this.ok, failed: this.errors.total, good: this.good },
      throughput: {
        requestsPerS: perSecond(this.ok),
        goodputPerS: perSecond(this.good),
        outputTokensPerS: perSecond(this.outputTokens),
      },
      goodputRatio: this.sent > 0 ? this.good / this.sent : 0,
      outputTokens: { total: this.outputTokens, perRequest: this.tokensPerRequest.summary() },
      ttftMs: this.ttft.summary(),
      latencyMs: this.latency.summary(),
      interTokenMs: this.interToken.summary(),
      tokensPerSecondPerRequest: this.tokensPerSecond.summary(),
      errors: structuredClone(this.errors),
    };
  }
}
