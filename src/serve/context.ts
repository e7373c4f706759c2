/**
 * The state one serve instance owns: its options, the model's name, the admission queue, the metrics and
 * the engine once it has loaded. Routes receive it as an argument (no globals), so tests can build an
 * app around a fake engine.
 * @module
 */
import { randomBytes } from "node:crypto";
import type { ServeEngine } from "./engine.js";
import { ServeError } from "./errors.js";
import { createServeMetrics, type ServeMetrics } from "./metrics.js";
import type { ServeOptions } from "./options.js";
import { RequestQueue } from "./request-queue.js";

/** How long a client should wait before asking a loading server again. */
const LOADING_RETRY_AFTER_SECONDS = 2;

export class ServeContext {
  readonly options: ServeOptions;
  /** The model id clients send and `/v1/models` lists. */
  readonly modelName: string;
  readonly queue: RequestQueue;
  readonly metrics: ServeMetrics;
  /** Unix seconds of start: the `created` of the listed model. */
  readonly startedAt: number;
  readonly #runTag = randomBytes(4).toString("hex");
  #sequence = 0;
  #engine: ServeEngine | undefined;

  constructor(options: ServeOptions, modelName: string, now = Date.now()) {
    this.options = options;
    this.modelName = modelName;
    this.queue = new RequestQueue({ maxConcurrent: options.maxConcurrent, maxQueue: options.maxQueue });
    this.metrics = createServeMetrics(() => this.queue.snapshot());
    this.startedAt = Math.floor(now / 1000);
  }

  /** The engine, or undefined while the model loads. */
  get engine(): ServeEngine | undefined {
    return this.#engine;
  }

  /** Called once, when the model has loaded; from then on requests are served. */
  setEngine(engine: ServeEngine): void {
    this.#engine = engine;
    this.metrics.modelLoaded.set(1);
  }

  /** The engine, or a 503 `model_loading` (with Retry-After) while the model loads. */
  requireEngine(): ServeEngine {
    if (this.#engine !== undefined) return this.#engine;
    throw new ServeError("SWY_ERR_SERVE_LOADING", `The model '${this.modelName}' is still loading.`, {
      retryAfterSeconds: LOADING_RETRY_AFTER_SECONDS,
    });
  }

  /** Throws a 404 unless `model` is the served model's name. */
  checkModel(model: string): void {
    if (model === this.modelName) return;
    throw new ServeError(
      "SWY_ERR_SERVE_MODEL_NOT_FOUND",
      `The model '${model}' does not exist. This server serves '${this.modelName}'.`,
      { param: "model" },
    );
  }

  /** A fresh response id with the protocol's prefix (`chatcmpl-`, `cmpl-`). */
  nextId(prefix: string): string {
    this.#sequence++;
    return `${prefix}${this.#runTag}${this.#sequence.toString(36).padStart(6, "0")}`;
  }
}
