/**
 * The OpenTelemetry side of `Telemetry`: a tracer and a meter of the gateway's own (never the
 * global providers, so two gateways in one process export apart), OTLP/HTTP exporters that read
 * the standard `OTEL_EXPORTER_OTLP_*` variables themselves, and the GenAI semantic conventions'
 * names (genai.ts). Loaded only when export is on.
 * @module
 */
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  type Histogram,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { GEN_AI, GEN_AI_METRIC, operationOf, SWITCHYARD } from "./genai.js";
import type {
  AttemptStart,
  AttemptTrace,
  AttemptVerdict,
  ExportChoice,
  RequestOutcome,
  RequestStart,
  RequestTrace,
  Telemetry,
  TelemetryEnv,
} from "./telemetry.js";

const propagator = new W3CTraceContextPropagator();
const DEFAULT_METRIC_INTERVAL_MS = 60_000;

interface GenAiInstruments {
  tokenUsage: Histogram;
  clientDuration: Histogram;
  serverDuration: Histogram;
  timeToFirstToken: Histogram;
}

export class OtelTelemetry implements Telemetry {
  readonly #tracerProvider: BasicTracerProvider | undefined;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #tracer: Tracer | undefined;
  readonly #instruments: GenAiInstruments | undefined;

  constructor(choice: ExportChoice, env: TelemetryEnv, version: string) {
    const resource = resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME?.trim() || "switchyard",
      "service.version": version,
    });
    if (choice.traces) {
      this.#tracerProvider = new BasicTracerProvider({
        resource,
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: signalUrl(env, "traces") }))],
      });
      this.#tracer = this.#tracerProvider.getTracer("switchyard", version);
    }
    if (choice.metrics) {
      const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
      this.#meterProvider = new MeterProvider({
        resource,
        readers: [
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter({ url: signalUrl(env, "metrics") }),
            exportIntervalMillis: interval > 0 ? interval : DEFAULT_METRIC_INTERVAL_MS,
          }),
        ],
      });
      this.#instruments = genAiInstruments(this.#meterProvider.getMeter("switchyard", version));
    }
  }

  startRequest(start: RequestStart): RequestTrace {
    return new OtelRequestTrace(this.#tracer, this.#instruments, start);
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([this.#tracerProvider?.shutdown(), this.#meterProvider?.shutdown()]);
  }
}

/**
 * The signal's endpoint as the OTLP/HTTP exporters would derive it, but from `env` rather than the
 * process's own variables, so a gateway built with its own environment (tests, embedding) exports
 * where that says; the exporters still read the other OTEL_EXPORTER_OTLP_* variables (headers,
 * timeouts) from the process.
 */
function signalUrl(env: TelemetryEnv, signal: "traces" | "metrics"): string | undefined {
  const own =
    signal === "traces" ? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT : env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (own?.trim()) return own.trim();
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!general) return undefined;
  return `${general.replace(/\/+$/, "")}/v1/${signal}`;
}

function genAiInstruments(meter: Meter): GenAiInstruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, { unit: "s", description });
  return {
    tokenUsage: meter.createHistogram(GEN_AI_METRIC.tokenUsage, {
      unit: "{token}",
      description: "Tokens used per request, by token type",
    }),
    clientDuration: seconds(GEN_AI_METRIC.clientDuration, "Upstream call duration, per request"),
    serverDuration: seconds(GEN_AI_METRIC.serverDuration, "Time to answer a client's request"),
    timeToFirstToken: seconds(GEN_AI_METRIC.timeToFirstToken, "Time to the first byte of the answer"),
  };
}

class OtelRequestTrace implements RequestTrace {
  readonly #span: Span | undefined;
  readonly #context: Context;
  readonly #instruments: GenAiInstruments | undefined;
  readonly #operation: string;
  readonly #tracer: Tracer | undefined;
  #provider: string | undefined;
  #strategy: string | undefined;
  #ended = false;

  constructor(tracer: Tracer | undefined, instruments: GenAiInstruments | undefined, start: RequestStart) {
    this.#tracer = tracer;
    this.#instruments = instruments;
    this.#operation = operationOf(start.endpoint);
    if (!tracer) {
      this.#context = ROOT_CONTEXT;
      return;
    }
    const carrier = { traceparent: start.traceparent, tracestate: start.tracestate };
    const parent = start.traceparent
      ? propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
      : ROOT_CONTEXT;
    this.#span = tracer.startSpan(
      this.#operation,
      {
        kind: SpanKind.SERVER,
        startTime: start.startedAt,
        attributes: {
          [GEN_AI.operationName]: this.#operation,
          [GEN_AI.requestStream]: start.stream,
          [SWITCHYARD.endpoint]: start.endpoint,
        },
      },
      parent,
    );
    this.#context = trace.setSpan(parent, this.#span);
  }

  startAttempt(attempt: AttemptStart): AttemptTrace {
    this.#provider = attempt.kind;
    this.#strategy = attempt.strategy;
    const span = this.#span;
    // A request the sampler left out records nothing: its attempts only pass the trace on, unsampled.
    if (span && !span.isRecording()) return unsampledAttempt(span);
    return new OtelAttemptTrace(this.#tracer, this.#context, this.#operation, attempt);
  }

  end(outcome: RequestOutcome): void {
    if (this.#ended) return;
    this.#ended = true;
    const attributes = this.#attributes(outcome);
    this.#endSpan(outcome, attributes);
    this.#record(outcome, attributes);
  }

  /** The attributes the span and the metrics share (the metrics' are a bounded subset). */
  #attributes(outcome: RequestOutcome): Attributes {
    const attributes: Attributes = { [GEN_AI.operationName]: this.#operation };
    if (this.#provider) attributes[GEN_AI.providerName] = this.#provider;
    if (outcome.requestModel) attributes[GEN_AI.requestModel] = outcome.requestModel;
    if (outcome.responseModel) attributes[GEN_AI.responseModel] = outcome.responseModel;
    return attributes;
  }

  #endSpan(outcome: RequestOutcome, shared: Attributes): void {
    const span = this.#span;
    if (!span?.isRecording()) return;
    if (outcome.requestModel) span.updateName(`${this.#operation} ${outcome.requestModel}`);
    span.setAttributes(shared);
    span.setAttribute("http.response.status_code", outcome.status);
    span.setAttribute(SWITCHYARD.attempts, outcome.attempts);
    if (this.#strategy) span.setAttribute(SWITCHYARD.strategy, this.#strategy);
    if (outcome.answeredBy) span.setAttribute(SWITCHYARD.backend, outcome.answeredBy);
    if (outcome.inputTokens !== undefined) span.setAttribute(GEN_AI.inputTokens, outcome.inputTokens);
    if (outcome.outputTokens !== undefined) span.setAttribute(GEN_AI.outputTokens, outcome.outputTokens);
    if (outcome.firstByteMs !== undefined) span.setAttribute(SWITCHYARD.ttftMs, outcome.firstByteMs);
    if (outcome.clientGone) span.setAttribute(SWITCHYARD.clientGone, true);
    if (outcome.status >= 500) {
      span.setAttribute("error.type", String(outcome.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  #record(outcome: RequestOutcome, shared: Attributes): void {
    const instruments = this.#instruments;
    if (!instruments) return;
    const attributes = outcome.status >= 400 ? { ...shared, "error.type": String(outcome.status) } : shared;
    instruments.serverDuration.record(outcome.durationMs / 1000, attributes);
    if (outcome.answeredBy) instruments.clientDuration.record(outcome.durationMs / 1000, attributes);
    if (outcome.firstByteMs !== undefined && outcome.status < 400) {
      instruments.timeToFirstToken.record(outcome.firstByteMs / 1000, shared);
    }
    if (outcome.inputTokens !== undefined) {
      instruments.tokenUsage.record(outcome.inputTokens, { ...shared, [GEN_AI.tokenType]: "input" });
    }
    if (outcome.outputTokens !== undefined) {
      instruments.tokenUsage.record(outcome.outputTokens, { ...shared, [GEN_AI.tokenType]: "output" });
    }
  }
}

/** Without a tracer (metrics only) no trace context is sent. */
const UNSAMPLED_TRACEPARENT = "";

const NO_ATTEMPT_SPAN = { answered() {}, end() {} };

/** The backend joins the request's trace as not sampled, under the request's own span. */
function unsampledAttempt(span: Span): AttemptTrace {
  const { traceId, spanId } = span.spanContext();
  return { traceparent: `00-${traceId}-${spanId}-00`, ...NO_ATTEMPT_SPAN };
}

class OtelAttemptTrace implements AttemptTrace {
  readonly traceparent: string;
  readonly #span: Span | undefined;
  #ended = false;

  constructor(tracer: Tracer | undefined, parent: Context, operation: string, attempt: AttemptStart) {
    if (!tracer) {
      this.traceparent = UNSAMPLED_TRACEPARENT;
      return;
    }
    const origin = new URL(attempt.origin);
    this.#span = tracer.startSpan(
      `${operation} ${attempt.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [GEN_AI.operationName]: operation,
          [GEN_AI.providerName]: attempt.kind,
          [GEN_AI.requestModel]: attempt.model,
          [SWITCHYARD.backend]: attempt.backend,
          [SWITCHYARD.strategy]: attempt.strategy,
          "server.address": origin.hostname,
          "server.port": Number(origin.port) || (origin.protocol === "https:" ? 443 : 80),
        },
      },
      parent,
    );
    const { traceId, spanId, traceFlags } = this.#span.spanContext();
    this.traceparent = `00-${traceId}-${spanId}-0${traceFlags & 1}`;
  }

  answered(status: number, ttfbMs: number): void {
    this.#span?.setAttributes({ "http.response.status_code": status, [SWITCHYARD.ttftMs]: ttfbMs });
  }

  end(verdict: AttemptVerdict, cause?: string): void {
    if (this.#ended || !this.#span) return;
    this.#ended = true;
    this.#span.setAttribute(SWITCHYARD.verdict, verdict);
    if (verdict === "failure") {
      this.#span.setAttribute("error.type", cause ?? "upstream_failure");
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: cause });
    }
    this.#span.end();
  }
}
