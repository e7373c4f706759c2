/**
 * What the gateway tells OpenTelemetry about a request, as interfaces: one span per request, a
 * child span per upstream attempt, and the GenAI metrics at the end. The request path holds a
 * `RequestTrace` or null, so with export off every note is one null check and the OpenTelemetry
 * SDK is never loaded (`startTelemetry` imports it only when an exporter is configured).
 * @module
 */

/** How one upstream attempt ended: as the circuit hears it. */
export type AttemptVerdict = "success" | "failure" | "abandoned";

/** What the request span is closed with; read from the request's record when the answer ends. */
export interface RequestOutcome {
  status: number;
  /** The model the client asked for. */
  requestModel: string | undefined;
  /** The model the backend was asked for (after aliases), when a backend was tried. */
  responseModel: string | undefined;
  /** The backend whose answer the client got; undefined when the gateway answered itself. */
  answeredBy: string | undefined;
  attempts: number;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Milliseconds from arrival to the first byte written to the client. */
  firstByteMs: number | undefined;
  /** Milliseconds from arrival to the end of the answer. */
  durationMs: number;
  clientGone: boolean;
}

/** One upstream attempt's span. */
export interface AttemptTrace {
  /** The W3C `traceparent` the backend gets, naming this attempt's span as its parent. */
  readonly traceparent: string;
  /** The backend's answer started: its status and time to the headers. */
  answered(status: number, ttfbMs: number): void;
  /** Ends the span; a second call is a no-op. */
  end(verdict: AttemptVerdict, cause?: string): void;
}

export interface AttemptStart {
  backend: string;
  /** The backend's protocol: the GenAI provider the attempt speaks to. */
  kind: "openai" | "anthropic";
  origin: string;
  model: string;
  strategy: string;
}

/** One request's span, from arrival to the end of its answer. */
export interface RequestTrace {
  startAttempt(attempt: AttemptStart): AttemptTrace;
  /** Ends the span and records the request's metrics; a second call is a no-op. */
  end(outcome: RequestOutcome): void;
}

export interface RequestStart {
  /** The endpoint's name (`chat`, `messages`, `responses`, …): the GenAI operation. */
  endpoint: string;
  /** The client's `traceparent`/`tracestate`, when it sent them: the request span's parent. */
  traceparent: string | undefined;
  tracestate: string | undefined;
  /** Milliseconds since the epoch when the request arrived. */
  startedAt: number;
  stream: boolean;
}

export interface Telemetry {
  startRequest(start: RequestStart): RequestTrace;
  /** Exports what is pending and stops the exporters. */
  shutdown(): Promise<void>;
}

/** What turns export on: the standard OpenTelemetry variables. */
export interface TelemetryEnv {
  OTEL_SDK_DISABLED?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?: string | undefined;
  OTEL_TRACES_EXPORTER?: string | undefined;
  OTEL_METRICS_EXPORTER?: string | undefined;
  OTEL_METRIC_EXPORT_INTERVAL?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}

export interface ExportChoice {
  traces: boolean;
  metrics: boolean;
}

/**
 * Which signals to export. An endpoint must be named (the general one or the signal's own), as a
 * collector is rarely on the exporters' default address in production, and `OTEL_SDK_DISABLED` or
 * an exporter set to `none` turns a signal off, as the SDKs read them.
 */
export function exportChoice(env: TelemetryEnv): ExportChoice {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return { traces: false, metrics: false };
  const general = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
  const off = (value: string | undefined) => value?.trim().toLowerCase() === "none";
  return {
    traces:
      (general || Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())) && !off(env.OTEL_TRACES_EXPORTER),
    metrics:
      (general || Boolean(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim())) &&
      !off(env.OTEL_METRICS_EXPORTER),
  };
}

/** The exporters `env` asks for, or null (nothing loaded) when it asks for none. */
export async function startTelemetry(env: TelemetryEnv, version: string): Promise<Telemetry | null> {
  const choice = exportChoice(env);
  if (!choice.traces && !choice.metrics) return null;
  const { OtelTelemetry } = await import("./otel-telemetry.js");
  return new OtelTelemetry(choice, env, version);
}
