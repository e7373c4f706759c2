/**
 * Every Prometheus metric `switchyard serve` exports, in its own registry. The gateway's engine-load
 * scraper reads `switchyard_serve_queue_waiting` and `switchyard_serve_queue_active` by exactly these
 * names (see `routing/engine-load.ts`); do not rename them. Queue figures are read at scrape time from
 * the queue itself, so they cost nothing per request and can never drift from `/queue/status`.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { QueueSnapshot } from "./request-queue.js";

/** Labels of request outcomes. */
export type RequestRoute = "chat" | "completions" | "embeddings";
export type RequestOutcome = "ok" | "client_error" | "error" | "cancelled" | "rejected";

export interface ServeMetrics {
  readonly registry: Registry;
  /** Labels: route, outcome. */
  readonly requests: Counter<"route" | "outcome">;
  /** Prompt tokens read by generations. */
  readonly promptTokens: Counter;
  /** Tokens generated (every attempt, also of requests whose client left). */
  readonly generatedTokens: Counter;
  /** Seconds from slot to first generated text. Labels: route. */
  readonly timeToFirstToken: Histogram<"route">;
  /** Seconds a generation held its slot. Labels: route. */
  readonly generationSeconds: Histogram<"route">;
  /** Seconds a request waited for a slot. */
  readonly queueWaitSeconds: Histogram;
  /** 1 once the model is loaded. */
  readonly modelLoaded: Gauge;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createServeMetrics(queue: () => QueueSnapshot): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "switchyard_serve_process_" });
  const registers = [registry];
  const fromQueue = (name: string, help: string, read: (snapshot: QueueSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(queue()));
      },
    });
  fromQueue("switchyard_serve_queue_waiting", "Requests waiting for a generation slot", (s) => s.waiting);
  fromQueue("switchyard_serve_queue_active", "Requests holding a generation slot", (s) => s.active);
  fromQueue(
    "switchyard_serve_queue_max_concurrent",
    "Generation slots (--max-concurrent)",
    (s) => s.max_concurrent,
  );
  fromQueue("switchyard_serve_queue_max_queue", "Requests that may wait (--max-queue)", (s) => s.max_queue);
  const fromQueueTotal = (name: string, help: string, read: (snapshot: QueueSnapshot) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        // The queue owns the count; mirror it (counters only grow, and so does the queue's).
        this.reset();
        this.inc(read(queue()));
      },
    });
  fromQueueTotal(
    "switchyard_serve_queue_processed_total",
    "Requests that held a slot and gave it back",
    (s) => s.processed,
  );
  fromQueueTotal(
    "switchyard_serve_queue_rejected_total",
    "Requests refused with 429 (queue full)",
    (s) => s.rejected,
  );
  fromQueueTotal(
    "switchyard_serve_queue_cancelled_total",
    "Requests whose client left while they waited",
    (s) => s.cancelled,
  );
  return {
    registry,
    requests: new Counter({
      name: "switchyard_serve_requests_total",
      help: "Inference requests by route and outcome",
      labelNames: ["route", "outcome"],
      registers,
    }),
    promptTokens: new Counter({
      name: "switchyard_serve_prompt_tokens_total",
      help: "Prompt tokens of generations",
      registers,
    }),
    generatedTokens: new Counter({
      name: "switchyard_serve_generated_tokens_total",
      help: "Tokens generated",
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "switchyard_serve_time_to_first_token_seconds",
      help: "Seconds from getting a slot to the first generated text",
      labelNames: ["route"],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    generationSeconds: new Histogram({
      name: "switchyard_serve_generation_seconds",
      help: "Seconds a generation held its slot",
      labelNames: ["route"],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    queueWaitSeconds: new Histogram({
      name: "switchyard_serve_queue_wait_seconds",
      help: "Seconds a request waited for a slot",
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    modelLoaded: new Gauge({
      name: "switchyard_serve_model_loaded",
      help: "1 once the model is loaded and requests are served",
      registers,
    }),
  };
}
