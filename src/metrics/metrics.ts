/**
 * Every Prometheus metric the gateway exports: names, labels and help text live here and nowhere
 * else. Request-path metrics are fast-metrics series (a map lookup and an add, labels in the order
 * listed); gauges that mirror live state are read at scrape time through `collect`, so they cost
 * nothing per request.
 * @module
 */
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { FastCounter, FastHistogram } from "./fast-metrics.js";

/**
 * Gauges each `--workers` worker sets from its own view, which a sum across workers would
 * garble: merged, they keep one series per worker (metrics/worker-metrics.ts).
 */
export const PER_WORKER_METRICS: ReadonlySet<string> = new Set([
  "switchyard_backend_up",
  "switchyard_backend_circuit_state",
  "switchyard_backend_ejected",
]);

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface GatewayMetrics {
  registry: Registry;
  /** Labels: route, model, backend, status. */
  requests: FastCounter;
  /** Labels: route, model. */
  requestDuration: FastHistogram;
  /** Labels: backend. */
  upstreamTtfb: FastHistogram;
  /** Labels: route. */
  gatewayOverhead: FastHistogram;
  /** Labels: model, backend, direction (prompt, completion). */
  tokens: FastCounter;
  /** Labels: backend, reason. */
  upstreamFailures: FastCounter;
  /** Labels: route. */
  retries: FastCounter;
  /** Labels: backend. */
  ejections: FastCounter;
  /** Labels: outcome (won, lost, failed, abandoned, no_backend). */
  hedges: FastCounter;
  /** Labels: strategy, outcome. */
  routingDecisions: FastCounter;
  /** Labels: backend, status (429, 401, 403). */
  keyRotations: FastCounter;
  /** Labels: backend (the one that took over). */
  streamResumes: FastCounter;
  /** Labels: result (applied, refused). */
  configReloads: FastCounter;
  /** Labels: model. Requests shed by SLO admission (429 slo_shed). */
  sloShed: FastCounter;
  /** Labels: model. Answers whose first byte came within the model's ttft_slo. */
  sloMet: FastCounter;
  /** Labels: model. Answers whose first byte came later than the model's ttft_slo. */
  sloMissed: FastCounter;
  /** Labels: scope (key, team). */
  budgetRefusals: FastCounter;
  /** Request ledger rows written to its database. */
  ledgerRowsWritten: FastCounter;
  /** Request ledger rows dropped: the buffer was full while the database was away, or at shutdown. */
  ledgerRowsDropped: FastCounter;
  /** Restarts of the embedded ledger database's worker thread after it died. */
  ledgerWorkerRestarts: FastCounter;
}

/**
 * What the backend gauges read from each backend when `/metrics` is scraped. Declared here so that
 * metrics depends on no routing code; the registry's backends have these fields.
 */
export interface BackendGaugeSource {
  readonly id: string;
  /** Requests in flight from this process. */
  readonly inflight: number;
  /** Whether the backend passes health checks. */
  readonly healthy: boolean;
  readonly circuit: { readonly state: "closed" | "open" | "half_open" };
  /** Passed by for now after stalling while its peers answered. */
  readonly ejected: boolean;
  /** The backend origin's connection pool: requests waiting for a connection, and connections open. */
  readonly upstream: { readonly queued: number; readonly connected: number };
}

export function createGatewayMetrics(
  backends: () => readonly BackendGaugeSource[],
  queueLength: () => number = () => 0,
): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "switchyard_process_" });
  const registers = [registry];
  new Gauge({
    name: "switchyard_backend_inflight",
    help: "Requests in flight to each backend",
    labelNames: ["backend"],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) this.set({ backend: backend.id }, backend.inflight);
    },
  });
  new Gauge({
    name: "switchyard_backend_up",
    help: "1 when the backend passes health checks, else 0",
    labelNames: ["backend"],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) this.set({ backend: backend.id }, backend.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: "switchyard_backend_circuit_state",
    help: "1 for the circuit state each backend is in (closed, open, half_open)",
    labelNames: ["backend", "state"],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) {
        for (const state of ["closed", "open", "half_open"] as const) {
          this.set({ backend: backend.id, state }, backend.circuit.state === state ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: "switchyard_backend_ejected",
    help: "1 while a backend is ejected: its requests stalled while its peers answered",
    labelNames: ["backend"],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) this.set({ backend: backend.id }, backend.ejected ? 1 : 0);
    },
  });
  new Gauge({
    name: "switchyard_backend_upstream_queued",
    help: "Requests waiting for a connection to each backend's origin (its pool is at upstream_connections)",
    labelNames: ["backend"],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) this.set({ backend: backend.id }, backend.upstream.queued);
    },
  });
  new Gauge({
    name: "switchyard_backend_upstream_connections",
    help: "Connections open to each backend's origin",
    labelNames: ["backend"],
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) this.set({ backend: backend.id }, backend.upstream.connected);
    },
  });
  new Gauge({
    name: "switchyard_capacity_queue_length",
    help: "Requests waiting for a backend below its concurrency cap",
    registers,
    collect() {
      this.set(queueLength());
    },
  });
  return {
    registry,
    requests: new FastCounter(
      "switchyard_requests_total",
      "Requests answered, by route, resolved model, backend and HTTP status",
      ["route", "model", "backend", "status"],
      registry,
    ),
    requestDuration: new FastHistogram(
      "switchyard_request_duration_seconds",
      "Time from receiving a request to the end of its response",
      ["route", "model"],
      LATENCY_BUCKETS,
      registry,
    ),
    upstreamTtfb: new FastHistogram(
      "switchyard_upstream_ttfb_seconds",
      "Time from sending a request upstream to receiving its response headers",
      ["backend"],
      LATENCY_BUCKETS,
      registry,
    ),
    gatewayOverhead: new FastHistogram(
      "switchyard_gateway_overhead_seconds",
      "Time a request spends in the gateway before it goes upstream (parsing, checks, routing), queue waits excluded",
      ["route"],
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registry,
    ),
    tokens: new FastCounter(
      "switchyard_tokens_total",
      "Tokens reported in responses' usage, by model, backend and direction (prompt, completion)",
      ["model", "backend", "direction"],
      registry,
    ),
    upstreamFailures: new FastCounter(
      "switchyard_upstream_failures_total",
      "Failed upstream attempts, by backend and reason (connect, timeout, body, status_5xx)",
      ["backend", "reason"],
      registry,
    ),
    ejections: new FastCounter(
      "switchyard_backend_ejections_total",
      "Backends passed by for a while because their requests stalled (no response headers in time) while their peers answered",
      ["backend"],
      registry,
    ),
    hedges: new FastCounter(
      "switchyard_hedges_total",
      "Non-streamed attempts hedged on a second backend after hedge_after without an answer, by outcome (won: the hedge answered first; lost; failed; abandoned; no_backend: none was eligible, none sent)",
      ["outcome"],
      registry,
    ),
    retries: new FastCounter(
      "switchyard_retries_total",
      "Attempts repeated on another backend",
      ["route"],
      registry,
    ),
    streamResumes: new FastCounter(
      "switchyard_stream_resumes_total",
      "Broken streams continued on another backend (opt-in), by the backend that took over",
      ["backend"],
      registry,
    ),
    keyRotations: new FastCounter(
      "switchyard_key_rotations_total",
      "Requests resent with the next upstream API key after a 429, 401 or 403",
      ["backend", "status"],
      registry,
    ),
    configReloads: new FastCounter(
      "switchyard_config_reloads_total",
      "Configuration reloads (file change, SIGHUP, POST /admin/reload), applied or refused as invalid",
      ["result"],
      registry,
    ),
    sloShed: new FastCounter(
      "switchyard_slo_shed_total",
      "Requests shed with 429 slo_shed: every eligible backend's expected wait stayed above the model's ttft_slo",
      ["model"],
      registry,
    ),
    sloMet: new FastCounter(
      "switchyard_slo_met_total",
      "Successful answers whose first byte reached the client within the model's ttft_slo (goodput)",
      ["model"],
      registry,
    ),
    sloMissed: new FastCounter(
      "switchyard_slo_missed_total",
      "Successful answers whose first byte reached the client after the model's ttft_slo",
      ["model"],
      registry,
    ),
    budgetRefusals: new FastCounter(
      "switchyard_budget_refusals_total",
      "Requests refused (429 budget_exceeded) because a budget of their key or its team had no room for their worst case",
      ["scope"],
      registry,
    ),
    ledgerRowsWritten: new FastCounter(
      "switchyard_ledger_rows_written_total",
      "Request ledger rows written to its database",
      [],
      registry,
    ),
    ledgerRowsDropped: new FastCounter(
      "switchyard_ledger_rows_dropped_total",
      "Request ledger rows dropped because its buffer was full while the database was unreachable (or still buffered at shutdown)",
      [],
      registry,
    ),
    ledgerWorkerRestarts: new FastCounter(
      "switchyard_ledger_worker_restarts_total",
      "Restarts of the embedded ledger database's worker thread after it died (a crash, out of memory)",
      [],
      registry,
    ),
    routingDecisions: new FastCounter(
      "switchyard_routing_decisions_total",
      "Routing decisions by strategy and outcome (picked, retry, hedge, no_backend)",
      ["strategy", "outcome"],
      registry,
    ),
  };
}
