/**
 * A backend as the router sees it: its fixed description plus the live figures strategies read.
 * @module
 */
import { redactUrl } from "../config/redact-url.js";
import type { BackendConfig, NativeApi } from "../config/schema.js";
import type { KeyPool } from "../upstream/key-pool.js";
import type { PoolFigures } from "../upstream/pools.js";
import { CircuitBreaker, type CircuitOptions } from "./circuit.js";
import { OutlierDetector } from "./outlier.js";

export type BackendKind = "openai" | "anthropic";

/** Where a backend came from: config (replaced by reloads), the admin API, or a discovery scan. */
export type BackendSource = "config" | "runtime" | "discovery";

/** What a strategy may read about a candidate. Strategies never mutate it. */
export interface BackendView {
  readonly id: string;
  /** The configured URL, any user and password masked (`http://***:***@host`). */
  readonly url: string;
  readonly kind: BackendKind;
  readonly weight: number;
  /** 0 means no cap. */
  readonly maxConnections: number;
  /** Requests this gateway has in flight to the backend. */
  readonly inflight: number;
  /**
   * Requests the backend itself reports as waiting or running beyond ours (scraped engine metrics
   * such as vLLM's `num_requests_waiting`); 0 when unknown.
   */
  readonly queueDepth: number;
  /**
   * Requests routed to the backend that wait at this gateway's KV admission gate, not sent yet
   * (`kv_admission`); absent or 0 without it. Load as much as those in flight: they will run there.
   */
  readonly gated?: number;
  readonly models: readonly string[];
}

/**
 * This gateway's requests for a backend: in flight, and waiting at its KV admission gate. A gated
 * request will run there, so every load-based strategy counts it; leaving it out made
 * `least_loaded` pile turns onto the gate whose engine admission keeps idle-looking.
 */
export function ownRequests(backend: BackendView): number {
  return backend.inflight + (backend.gated ?? 0);
}

/** {@link ownRequests} plus what the engine reports beyond ours (`queueDepth`). */
export function requestLoad(backend: BackendView): number {
  return ownRequests(backend) + backend.queueDepth;
}

/** How busy a backend's connection pool is, by origin; zeros where no pool is known. */
export type UpstreamFigures = (origin: string) => PoolFigures;

const NO_FIGURES: UpstreamFigures = () => ({ queued: 0, running: 0, connected: 0, free: 0 });

/** Live state of one backend, owned by the registry. */
export class BackendState implements BackendView {
  readonly id: string;
  readonly url: string;
  /** `scheme://host:port`, the key of the backend's connection pool. */
  readonly origin: string;
  /** Path prefix of the URL without a trailing slash (often "" or "/v1"). */
  readonly basePath: string;
  readonly kind: BackendKind;
  readonly modelType: string;
  readonly weight: number;
  readonly maxConnections: number;
  readonly healthPath: string;
  readonly startCommand: string | undefined;
  readonly separateReasoning: boolean;
  /** APIs besides chat completions the backend serves itself (config `native_apis`). */
  readonly nativeApis: ReadonlySet<NativeApi>;
  /** `gpt-*`-style patterns of models this backend takes when no backend lists them by name. */
  readonly modelPatterns: readonly string[];
  /** Upstream keys used in place of the client's credentials; shared by backends with the same keys. */
  keyPool: KeyPool | undefined;
  /** The validated config this state was built from, to tell whether a reload changed it. */
  readonly config: BackendConfig;
  source: BackendSource = "config";
  /** Models named in config; when empty, `models` is learned from the backend's /v1/models. */
  readonly configuredModels: readonly string[];
  models: readonly string[];
  /**
   * The model ids the backend itself lists at /v1/models, learned by health probes; undefined while
   * it has not said (no such route, health checks off as for hosted APIs).
   */
  ownModels: readonly string[] | undefined;
  readonly circuit: CircuitBreaker;
  /** Stalls while peers answer eject the backend for a while (outlier.ts); as long as a circuit opens, at first. */
  readonly outlier: OutlierDetector;
  inflight = 0;
  queueDepth = 0;
  /**
   * KV cache capacity in tokens as the engine states it at /metrics (metrics/engine-kv-capacity.ts);
   * undefined until a scrape has read it.
   */
  engineKvTokens: number | undefined;
  gated = 0;
  healthy = true;
  /** Set by an operator: no new requests, those in flight finish. */
  draining = false;
  /** Health checks failed or passed in a row, for hysteresis. */
  probeFailures = 0;
  probeSuccesses = 0;
  /** False until a probe or request has shown the backend answering. */
  seen = false;
  requests = 0;
  failures = 0;
  lastError: string | undefined;
  lastCheckAt: number | undefined;

  readonly #upstreamFigures: UpstreamFigures;

  constructor(
    id: string,
    config: BackendConfig,
    circuit: CircuitOptions = { threshold: 0, openMs: 0 },
    upstreamFigures: UpstreamFigures = NO_FIGURES,
  ) {
    this.circuit = new CircuitBreaker(circuit);
    this.outlier = new OutlierDetector(circuit.openMs);
    this.#upstreamFigures = upstreamFigures;
    this.id = id;
    // A user and password in a config URL are never sent (the pool is keyed by origin, which
    // drops them) nor shown: every view of the backend reads this masked URL.
    this.url = redactUrl(config.url).replace(/\/+$/, "");
    const parsed = new URL(this.url);
    this.origin = parsed.origin;
    this.basePath = parsed.pathname.replace(/\/+$/, "");
    this.kind = config.kind;
    this.modelType = config.model_type;
    this.weight = config.weight;
    this.maxConnections = config.max_connections;
    this.healthPath = config.health_path;
    this.startCommand = config.start_command;
    this.separateReasoning = config.separate_reasoning;
    this.nativeApis = new Set(config.native_apis);
    this.modelPatterns = config.model_patterns;
    this.config = config;
    this.configuredModels = config.models;
    this.models = config.models;
  }

  /**
   * The upstream path for a gateway route. A base ending in `/v1` (hosted APIs are usually given
   * as `https://host/v1`) absorbs the route's own `/v1`, so it is not doubled.
   */
  pathFor(routePath: string): string {
    if (this.basePath === "") return routePath;
    if (this.basePath.endsWith("/v1") && routePath.startsWith("/v1/"))
      return this.basePath + routePath.slice(3);
    return this.basePath + routePath;
  }

  /**
   * The model id to send this backend for a request routed to it as `model`. A name the backend was
   * registered under but does not list itself (`gpt-oss` for a server that knows only `gpt-oss-20b`)
   * would be refused with 404, so it becomes the backend's own id when the backend lists exactly
   * one; otherwise (several, or none known) the name goes through as asked.
   */
  upstreamModel(model: string): string {
    const own = this.ownModels;
    if (own === undefined || own.length !== 1 || own[0] === model) return model;
    return this.configuredModels.includes(model) ? own[0]! : model;
  }

  /**
   * The connection pool of the backend's origin (shared by backends on one origin): requests
   * waiting for a connection (`queued`, at `upstream_connections`), sent (`running`), connections.
   */
  get upstream(): PoolFigures {
    return this.#upstreamFigures(this.origin);
  }

  /** Below its concurrency cap. */
  get hasCapacity(): boolean {
    return this.maxConnections === 0 || this.inflight < this.maxConnections;
  }

  /** Whether a model name matches one of the backend's patterns (`*` matches any run of characters). */
  matchesPattern(model: string): boolean {
    return this.modelPatterns.some((pattern) => globMatch(pattern, model));
  }

  /** The `_routing` object (which backend and model type answered) for this backend, serialised once. */
  get routingJson(): Buffer {
    this.#routingJson ??= Buffer.from(JSON.stringify({ backend: this.id, model_type: this.modelType }));
    return this.#routingJson;
  }
  #routingJson: Buffer | undefined;

  /** Passed by for now: its requests stalled while its peers answered (outlier.ts). */
  get ejected(): boolean {
    return this.outlier.ejected(performance.now());
  }

  /** Healthy, circuit letting requests through, not ejected, and below its cap. */
  get routable(): boolean {
    return this.healthy && this.circuit.canAttempt() && !this.ejected && this.hasCapacity;
  }

  /** A JSON-friendly snapshot for /status and operator routes. */
  snapshot() {
    return {
      name: this.id,
      url: this.url,
      source: this.source,
      kind: this.kind,
      model_type: this.modelType,
      native_apis: [...this.nativeApis],
      models: this.models,
      served_models: this.ownModels ?? null,
      healthy: this.healthy,
      inflight: this.inflight,
      max_connections: this.maxConnections,
      weight: this.weight,
      draining: this.draining,
      circuit: this.circuit.state,
      consecutive_failures: this.circuit.consecutiveFailures,
      ejected: this.ejected,
      ejected_for_s: Math.ceil(this.outlier.ejectedForMs(performance.now()) / 1000),
      ejections: this.outlier.ejections,
      requests: this.requests,
      failures: this.failures,
      last_error: this.lastError ?? null,
      last_check: this.lastCheckAt === undefined ? null : new Date(this.lastCheckAt).toISOString(),
      upstream: this.upstream,
      engine_kv_tokens: this.engineKvTokens ?? null,
    };
  }
}

function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes("*")) return pattern === text;
  const parts = pattern.split("*");
  if (!text.startsWith(parts[0]!) || !text.endsWith(parts.at(-1)!)) return false;
  let at = parts[0]!.length;
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return at <= text.length - parts.at(-1)!.length;
}
