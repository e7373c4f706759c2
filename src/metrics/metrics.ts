/**
 * Every Prometheus metric the gateway exports: names, labels and help text live here and nowhere
 * else. Hot-path updates are O(1) counter/histogram calls; gauges that mirror live state are read
 * at scrape time through `collect`, so they cost nothing per request.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BackendState } from "../routing/backend.js";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<"route" | "model" | "backend" | "status">;
  requestDuration: Histogram<"route" | "model">;
  upstreamTtfb: Histogram<"backend">;
  gatewayOverhead: Histogram<"route">;
  tokens: Counter<"model" | "backend" | "direction">;
  upstreamFailures: Counter<"backend" | "reason">;
  retries: Counter<"route">;
  routingDecisions: Counter<"strategy" | "outcome">;
}

export function createGatewayMetrics(
  backends: () => readonly BackendState[],
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
    name: "switchyard_capacity_queue_length",
    help: "Requests waiting for a backend below its concurrency cap",
    registers,
    collect() {
      this.set(queueLength());
    },
  });
  return {
    registry,
    requests: new Counter({
      name: "switchyard_requests_total",
      help: "Requests answered, by route, resolved model, backend and HTTP status",
      labelNames: ["route", "model", "backend", "status"],
      registers,
    }),
    requestDuration: new Histogram({
      name: "switchyard_request_duration_seconds",
      help: "Time from receiving a request to the end of its response",
      labelNames: ["route", "model"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamTtfb: new Histogram({
      name: "switchyard_upstream_ttfb_seconds",
      help: "Time from sending a request upstream to receiving its response headers",
      labelNames: ["backend"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    gatewayOverhead: new Histogram({
      name: "switchyard_gateway_overhead_seconds",
      help: "Time a request spends in the gateway before it goes upstream (parsing, checks, routing), queue waits excluded",
      labelNames: ["route"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    tokens: new Counter({
      name: "switchyard_tokens_total",
      help: "Tokens reported in responses' usage, by model, backend and direction (prompt, completion)",
      labelNames: ["model", "backend", "direction"],
      registers,
    }),
    upstreamFailures: new Counter({
      name: "switchyard_upstream_failures_total",
      help: "Failed upstream attempts, by backend and reason (connect, timeout, body, status_5xx)",
      labelNames: ["backend", "reason"],
      registers,
    }),
    routingDecisions: new Counter({
      name: "switchyard_routing_decisions_total",
      help: "Routing decisions by strategy and outcome (picked, retry, no_backend)",
      labelNames: ["strategy", "outcome"],
      registers,
    }),
    retries: new Counter({
      name: "switchyard_retries_total",
      help: "Attempts repeated on another backend",
      labelNames: ["route"],
      registers,
    }),
  };
}
