/**
 * Every aggregate of a bench run: all requests, each model, each backend, and how each model's
 * requests spread over the backends. Models are known up front (their panes keep a fixed order);
 * backends appear as responses name them.
 * @module
 */
import { GroupStats, type Slo } from "./group-stats.js";
import type { RequestSample } from "./request-sample.js";

export class BenchStats {
  readonly overall: GroupStats;
  readonly models = new Map<string, GroupStats>();
  readonly backends = new Map<string, GroupStats>();
  /** Requests per backend, per model. */
  readonly routing = new Map<string, Map<string, number>>();
  readonly #slo: Slo;

  constructor(models: readonly string[], slo: Slo = {}) {
    this.#slo = slo;
    this.overall = new GroupStats(slo);
    for (const model of models) {
      this.models.set(model, new GroupStats(slo));
      this.routing.set(model, new Map());
    }
  }

  record(sample: RequestSample): void {
    this.overall.record(sample);
    this.#group(this.models, sample.model).record(sample);
    let routing = this.routing.get(sample.model);
    if (!routing) {
      routing = new Map();
      this.routing.set(sample.model, routing);
    }
    // A request that never reached a backend (refused, overload) is not counted against one.
    if (sample.ok || sample.error?.kind === "status" || sample.error?.kind === "incomplete") {
      this.#group(this.backends, sample.backend).record(sample);
      routing.set(sample.backend, (routing.get(sample.backend) ?? 0) + 1);
    }
  }

  #group(groups: Map<string, GroupStats>, key: string): GroupStats {
    let group = groups.get(key);
    if (!group) {
      group = new GroupStats(this.#slo);
      groups.set(key, group);
    }
    return group;
  }
}
