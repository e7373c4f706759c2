/**
 * Engine-aware load: scrapes each backend's Prometheus /metrics on an interval and records how many
 * requests the engine itself holds beyond ours (waiting + running − our inflight), so least_loaded,
 * power_of_two and prefix_cache see queues built by other clients too, and the KV cache capacity the
 * engine states (metrics/engine-kv-capacity.ts), which KV admission uses where config sets none. Backends
 * without /metrics are left alone after the first miss.
 * @module
 */
import type { BackendState } from "./backend.js";
import type { Registry } from "./registry.js";

/** Gauges of requests queued or running, per engine. Several may exist; all are summed. */
const QUEUE_METRICS = [
  // vLLM
  "vllm:num_requests_waiting",
  "vllm:num_requests_running",
  // SGLang
  "sglang:num_queue_reqs",
  "sglang:num_running_reqs",
  // llama.cpp server
  "llamacpp:requests_processing",
  "llamacpp:requests_deferred",
  // switchyard serve
  "switchyard_serve_queue_waiting",
  "switchyard_serve_queue_active",
];

export type MetricsFetch = (
  backend: BackendState,
  timeoutMs: number,
) => Promise<{ status: number; text: string }>;

export class EngineLoadScraper {
  readonly #registry: Registry;
  readonly #fetch: MetricsFetch;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #parse: (text: string) => Map<string, number>;
  readonly #kvCapacity: (text: string) => number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #withoutMetrics = new Set<string>();

  constructor(
    registry: Registry,
    fetch: MetricsFetch,
    parse: (text: string) => Map<string, number>,
    options: {
      intervalMs: number;
      timeoutMs: number;
      /** The KV capacity in tokens the metrics state, if any; none read without it. */
      kvCapacity?: (text: string) => number | undefined;
    },
  ) {
    this.#registry = registry;
    this.#fetch = fetch;
    this.#parse = parse;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#kvCapacity = options.kvCapacity ?? (() => undefined);
  }

  start(): void {
    if (this.#intervalMs <= 0) return;
    this.#timer = setInterval(() => void this.scrapeAll(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async scrapeAll(): Promise<void> {
    await Promise.all(
      this.#registry
        .list()
        .filter((backend) => backend.healthy && !this.#withoutMetrics.has(backend.id))
        .map((backend) => this.scrape(backend)),
    );
  }

  async scrape(backend: BackendState): Promise<void> {
    try {
      const { status, text } = await this.#fetch(backend, this.#timeoutMs);
      if (status === 404) {
        this.#withoutMetrics.add(backend.id);
        return;
      }
      if (status < 200 || status >= 300) return;
      const sums = this.#parse(text);
      const known = QUEUE_METRICS.filter((name) => sums.has(name));
      if (known.length === 0) {
        this.#withoutMetrics.add(backend.id);
        return;
      }
      const engineLoad = known.reduce((total, name) => total + (sums.get(name) ?? 0), 0);
      backend.queueDepth = Math.max(0, Math.round(engineLoad) - backend.inflight);
      // A restarted engine may state another size; one that stops stating it keeps the last.
      backend.engineKvTokens = this.#kvCapacity(text) ?? backend.engineKvTokens;
    } catch {
      // A failed scrape leaves the last figure; health checks decide whether the backend is up.
    }
  }
}
