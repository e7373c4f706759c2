/**
 * The simulator's `/metrics`, under vLLM's names and labels (`model_name`, and `engine` as vLLM V1
 * adds it), so whatever reads a vLLM engine reads the simulator the same way: the gateway's
 * engine-load scraping (routing/engine-load.ts sums `vllm:num_requests_waiting` and
 * `vllm:num_requests_running`), dashboards and the routing bench (prefix-cache hit rate =
 * `vllm:prefix_cache_hits_total / vllm:prefix_cache_queries_total`, both in tokens as vLLM counts).
 * Times are the simulated engine's (virtual seconds).
 * @module
 */

/** vLLM's buckets for `vllm:time_to_first_token_seconds`. */
export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640,
  2560,
] as const;

/** vLLM's buckets for `vllm:e2e_request_latency_seconds` and `vllm:request_queue_time_seconds`. */
export const E2E_BUCKETS = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
] as const;

/** What the scheduler reports as it goes (counters and histograms); gauges are read at scrape time. */
export interface SchedulerObserver {
  /**
   * A sequence was admitted after `queuedSeconds` waiting: its prompt tokens were looked up in the
   * prefix cache, `hitTokens` found.
   */
  admitted(promptTokens: number, hitTokens: number, queuedSeconds: number): void;
  /** A sequence's first token, `seconds` after it arrived. */
  firstToken(seconds: number): void;
  /** Tokens generated in one step, across sequences. */
  generated(tokens: number): void;
  /** A sequence finished, `seconds` after it arrived. */
  finished(seconds: number): void;
}

export interface EngineGauges {
  running: number;
  waiting: number;
  /** 0..1 */
  kvCacheUsage: number;
}

/** The engine's KV cache layout, as vLLM states it once per engine in `vllm:cache_config_info`. */
export interface EngineCacheConfig {
  /** Tokens per KV block (vLLM's `--block-size`). */
  blockSize: number;
  /** Blocks the KV cache holds on the GPU; × `blockSize` is its capacity in tokens. */
  numGpuBlocks: number;
}

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    const index = this.bounds.findIndex((bound) => value <= bound);
    if (index >= 0) this.counts[index]!++;
  }
}

export class EngineMetrics implements SchedulerObserver {
  #prefixQueries = 0;
  #prefixHits = 0;
  #promptTokens = 0;
  #generationTokens = 0;
  #requestSuccess = 0;
  readonly #ttft = new Histogram(TTFT_BUCKETS);
  readonly #e2e = new Histogram(E2E_BUCKETS);
  readonly #queueTime = new Histogram(E2E_BUCKETS);
  readonly #labels: string;
  readonly #cacheConfig: EngineCacheConfig | undefined;

  constructor(modelName: string, cacheConfig?: EngineCacheConfig) {
    this.#labels = `model_name="${escapeLabel(modelName)}",engine="0"`;
    this.#cacheConfig = cacheConfig;
  }

  admitted(promptTokens: number, hitTokens: number, queuedSeconds: number): void {
    this.#queueTime.observe(queuedSeconds);
    this.#prefixQueries += promptTokens;
    this.#prefixHits += hitTokens;
    this.#promptTokens += promptTokens;
  }

  firstToken(seconds: number): void {
    this.#ttft.observe(seconds);
  }

  generated(tokens: number): void {
    this.#generationTokens += tokens;
  }

  finished(seconds: number): void {
    this.#requestSuccess++;
    this.#e2e.observe(seconds);
  }

  /** The Prometheus text exposition of every metric, with the gauges as they are now. */
  render(gauges: EngineGauges): string {
    const labels = this.#labels;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, value: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}{${labels}} ${value}`);
    };
    metric(
      "vllm:num_requests_running",
      "gauge",
      "Number of requests in model execution batches.",
      gauges.running,
    );
    metric(
      "vllm:num_requests_waiting",
      "gauge",
      "Number of requests waiting to be processed.",
      gauges.waiting,
    );
    metric(
      "vllm:kv_cache_usage_perc",
      "gauge",
      "KV-cache usage. 1 means 100 percent usage.",
      gauges.kvCacheUsage,
    );
    metric(
      "vllm:prefix_cache_queries_total",
      "counter",
      "Prefix cache queries, in terms of number of queried tokens.",
      this.#prefixQueries,
    );
    metric(
      "vllm:prefix_cache_hits_total",
      "counter",
      "Prefix cache hits, in terms of number of cached tokens.",
      this.#prefixHits,
    );
    metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", this.#promptTokens);
    metric(
      "vllm:generation_tokens_total",
      "counter",
      "Number of generation tokens processed.",
      this.#generationTokens,
    );
    metric(
      "vllm:request_success_total",
      "counter",
      "Count of successfully processed requests.",
      this.#requestSuccess,
    );
    if (this.#cacheConfig !== undefined) lines.push(...cacheConfigInfo(this.#cacheConfig));
    histogram(
      lines,
      "vllm:time_to_first_token_seconds",
      "Histogram of time to first token in seconds.",
      labels,
      this.#ttft,
    );
    histogram(
      lines,
      "vllm:request_queue_time_seconds",
      "Histogram of time spent in WAITING phase for request.",
      labels,
      this.#queueTime,
    );
    histogram(
      lines,
      "vllm:e2e_request_latency_seconds",
      "Histogram of e2e request latency in seconds.",
      labels,
      this.#e2e,
    );
    return `${lines.join("\n")}\n`;
  }
}

/**
 * vLLM's info gauge (always 1) whose labels are the engine's `CacheConfig` fields as strings, plus
 * `engine` and no `model_name`: PrometheusStatLogger.log_metrics_info in vllm/v1/metrics/loggers.py,
 * labels from CacheConfig.metrics_info() in vllm/config. The label set below is what a vLLM 0.9-0.10
 * engine printed; the gateway reads only `block_size` and `num_gpu_blocks`.
 */
function cacheConfigInfo(config: EngineCacheConfig): string[] {
  const labels = [
    `block_size="${config.blockSize}"`,
    'cache_dtype="auto"',
    'calculate_kv_scales="False"',
    'cpu_offload_gb="0"',
    'enable_prefix_caching="True"',
    'gpu_memory_utilization="0.9"',
    'is_attention_free="False"',
    'num_cpu_blocks="None"',
    `num_gpu_blocks="${config.numGpuBlocks}"`,
    'num_gpu_blocks_override="None"',
    'sliding_window="None"',
    'swap_space_bytes="4294967296"',
    'engine="0"',
  ].join(",");
  return [
    "# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig",
    "# TYPE vllm:cache_config_info gauge",
    `vllm:cache_config_info{${labels}} 1.0`,
  ];
}

function histogram(lines: string[], name: string, help: string, labels: string, values: Histogram): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  let cumulative = 0;
  values.bounds.forEach((bound, index) => {
    cumulative += values.counts[index]!;
    lines.push(`${name}_bucket{${labels},le="${bound}"} ${cumulative}`);
  });
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${values.count}`);
  lines.push(`${name}_sum{${labels}} ${values.sum}`, `${name}_count{${labels}} ${values.count}`);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
