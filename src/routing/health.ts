/**
 * Active health checks: every interval, each backend's health path is probed with a hard timeout
 * (one slow backend never stalls the others), and backends learn from their /v1/models the model
 * ids they serve: as their models when configured without any, else as the ids they answer to.
 * Passive marks (a refused connection) take a backend out at once and schedule a quick re-probe.
 *
 * Between replicas (shared state), one rule keeps marks simple and free of flapping: each replica
 * publishes only the transitions its own evidence decided ({@link HealthChecker.onOwnVerdict}),
 * and from the others it adopts only "down" ({@link HealthChecker.adoptDownMark}). A backend
 * another replica saw go down is down here too at once, and this replica's own re-probe, with
 * `healthy_threshold` passes as usual, brings it back. An "up" from elsewhere changes nothing here,
 * so a replica that still sees the backend down keeps it out and does not publish again; two
 * replicas that disagree therefore settle after one re-probe instead of toggling each other.
 * @module
 */
import type { Logger } from "pino";
import { modelIds } from "../upstream/get.js";
import type { BackendState } from "./backend.js";
import type { Registry } from "./registry.js";

export interface HealthOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Delay before re-probing a backend that failed a request. */
  recheckMs?: number;
  /** Failed checks in a row that take a healthy backend out (default 2). */
  unhealthyThreshold?: number;
  /** Passed checks in a row that bring an unhealthy backend back (default 1). */
  healthyThreshold?: number;
}

export interface ProbeAnswer {
  status: number;
  json: unknown;
}

/** Performs one GET with a deadline; returns status and parsed JSON body (or undefined). */
export type ProbeFetch = (backend: BackendState, path: string, timeoutMs: number) => Promise<ProbeAnswer>;

export class HealthChecker {
  readonly #registry: Registry;
  readonly #fetch: ProbeFetch;
  readonly #options: HealthOptions;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #rechecks = new Map<string, NodeJS.Timeout>();
  #stopped = false;
  /**
   * Told each health change this replica's own probes and requests decided (not adopted marks),
   * after hysteresis: what shared state publishes. Must not throw.
   */
  onOwnVerdict: ((backend: BackendState, healthy: boolean) => void) | undefined;

  constructor(registry: Registry, fetch: ProbeFetch, options: HealthOptions, logger: Logger) {
    this.#registry = registry;
    this.#fetch = fetch;
    this.#options = options;
    this.#logger = logger;
  }

  /** Probes every backend once (so models are known before traffic), then keeps probing. */
  async start(): Promise<void> {
    await this.probeAll();
    if (this.#options.intervalMs > 0 && !this.#stopped) {
      this.#timer = setInterval(() => void this.probeAll(), this.#options.intervalMs);
      this.#timer.unref();
    }
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const timer of this.#rechecks.values()) clearTimeout(timer);
    this.#rechecks.clear();
  }

  async probeAll(): Promise<void> {
    await Promise.all(this.#registry.list().map((backend) => this.probe(backend)));
  }

  async probe(backend: BackendState): Promise<void> {
    // Hosted APIs have no health route and charge for probes: requests and the breaker judge them.
    // One taken out by a refused connection gets traffic again at its re-check, or it would never
    // come back (nothing else can prove it up); if it is still unreachable, the next request says so.
    if (backend.healthPath === "") {
      if (!backend.healthy) this.#setHealth(backend, true, undefined);
      return;
    }
    const { timeoutMs } = this.#options;
    let healthy = false;
    let reason: string | undefined;
    try {
      let answer = await this.#fetch(backend, backend.healthPath, timeoutMs);
      let listing = backend.healthPath === "/v1/models" ? answer : undefined;
      // Servers without a health route (Ollama, some proxies) still prove liveness by listing models.
      if (answer.status === 404 && !listing) {
        answer = await this.#fetch(backend, "/v1/models", timeoutMs);
        listing = answer;
      }
      healthy = isOk(answer.status);
      if (!healthy) reason = `health check answered ${answer.status}`;
      if (healthy && backend.configuredModels.length === 0) {
        const models = await this.#discoverModels(backend, listing);
        if (models.length === 0) {
          healthy = false;
          reason = "no models listed at /v1/models";
        }
      } else if (healthy) {
        await this.#learnOwnModels(backend, listing);
      }
    } catch (error) {
      reason = `health check failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const firstCheck = backend.lastCheckAt === undefined;
    backend.lastCheckAt = Date.now();
    if (healthy) {
      backend.probeSuccesses++;
      backend.probeFailures = 0;
    } else {
      backend.probeFailures++;
      backend.probeSuccesses = 0;
    }
    // Hysteresis, so one slow probe does not flap a backend; the very first check decides alone,
    // so a backend still loading its model gets no traffic from the start.
    const next = firstCheck
      ? healthy
      : backend.healthy
        ? backend.probeFailures < (this.#options.unhealthyThreshold ?? 2)
        : backend.probeSuccesses >= (this.#options.healthyThreshold ?? 1);
    this.#setHealth(backend, next, healthy ? undefined : reason);
    if (!healthy) backend.lastError = reason;
  }

  /** A request could not reach the backend: stop routing to it until a probe says otherwise. */
  markUnreachable(backend: BackendState, reason: string): void {
    backend.probeSuccesses = 0;
    this.#setHealth(backend, false, reason);
    this.#scheduleRecheck(backend);
  }

  /**
   * Another replica marked the backend unhealthy: out here too, until this replica's own re-probe
   * (soon, like after a refused connection) passes `healthy_threshold` times. Backends without a
   * health path are left alone: nothing here would ever probe them back in.
   */
  adoptDownMark(backend: BackendState): void {
    if (backend.healthPath === "" || !backend.healthy) return;
    backend.probeSuccesses = 0;
    this.#setHealth(backend, false, "marked unhealthy by another replica", false);
    this.#scheduleRecheck(backend);
  }

  #scheduleRecheck(backend: BackendState): void {
    if (this.#stopped || this.#rechecks.has(backend.id)) return;
    const timer = setTimeout(() => {
      this.#rechecks.delete(backend.id);
      void this.probe(backend);
    }, this.#options.recheckMs ?? 1_000);
    timer.unref();
    this.#rechecks.set(backend.id, timer);
  }

  /** A request succeeded: the backend is evidently up. */
  markReachable(backend: BackendState): void {
    backend.seen = true;
    if (!backend.healthy && backend.models.length > 0) this.#setHealth(backend, true, undefined);
  }

  async #discoverModels(backend: BackendState, listing?: ProbeAnswer): Promise<string[]> {
    const { status, json } = listing ?? (await this.#fetch(backend, "/v1/models", this.#options.timeoutMs));
    if (!isOk(status)) return [];
    const models = modelIds(json);
    this.#registry.setModels(backend, models);
    backend.ownModels = models;
    return models;
  }

  /**
   * A backend registered under names of its own choosing: what it lists itself tells which of them
   * it would refuse (backend.ts, `upstreamModel`). Its health does not depend on the answer.
   */
  async #learnOwnModels(backend: BackendState, listing?: ProbeAnswer): Promise<void> {
    try {
      const { status, json } = listing ?? (await this.#fetch(backend, "/v1/models", this.#options.timeoutMs));
      if (isOk(status)) {
        const models = modelIds(json);
        backend.ownModels = models.length > 0 ? models : undefined;
      } else if (status === 404) backend.ownModels = undefined;
    } catch {
      // A passing hiccup: what the backend listed before still holds.
    }
  }

  #setHealth(backend: BackendState, healthy: boolean, reason: string | undefined, own = true): void {
    if (healthy) backend.seen = true;
    if (backend.healthy === healthy) {
      if (!healthy) backend.lastError = reason;
      return;
    }
    backend.healthy = healthy;
    backend.lastError = reason;
    if (own) this.onOwnVerdict?.(backend, healthy);
    if (healthy) this.#logger.info({ backend: backend.id }, "backend is healthy");
    else this.#logger.warn({ backend: backend.id, reason }, "backend is unhealthy");
  }
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}
