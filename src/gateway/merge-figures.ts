/**
 * Behind `--workers`, `/stats` and `/status` merge every worker's own answer into one, so a user
 * sees the whole gateway whichever worker answers: counters (requests, failures, per-key counts)
 * and in-flight counts are summed; what each worker decides for itself is combined so that no
 * worker's trouble is hidden (a backend is healthy only if every worker finds it so, the circuit
 * shown is the most open one); configuration, the same in every worker, is taken from the first.
 * A `workers` list shows how requests spread, and workers that did not answer in time are named.
 * @module
 */

import type { UpstreamProtocol } from "../upstream/alpn-dispatcher.js";
import type { KeyView } from "../upstream/key-pool.js";
import type { Gathered, WorkerName, WorkerReport } from "../worker-figures/messages.js";
import type { ServiceStats, StatsView, StatusView } from "./local-figures.js";

/** What a merged view adds: each worker's share, and which workers are missing. */
export interface WorkersSection {
  workers: { worker: number; pid: number; requests: number; inflight: number }[];
  unanswered_workers?: WorkerName[];
  note?: string;
}

type BackendSnapshot = StatusView["backends"][number];
type EndpointStats = ServiceStats["endpoint_stats"][number];

const CIRCUIT_SEVERITY: Readonly<Record<string, number>> = { closed: 0, half_open: 1, open: 2 };

export function mergeStats(gathered: Gathered): StatsView & WorkersSection {
  const views = figuresOf<StatsView>(gathered);
  const service = (kind: keyof StatsView["load_balancer_stats"]) =>
    mergeServiceStats(views.map((view) => view.load_balancer_stats[kind]));
  return {
    load_balancer_stats: { openai: service("openai"), anthropic: service("anthropic") },
    ...workersSection(gathered),
  };
}

export function mergeStatus(gathered: Gathered): StatusView & WorkersSection {
  const views = figuresOf<StatusView>(gathered);
  const first = views[0];
  return {
    strategy: first?.strategy ?? "",
    model_strategies: first?.model_strategies ?? {},
    uptime_s: Math.max(0, ...views.map((view) => view.uptime_s)),
    health_interval_s: first?.health_interval_s ?? 0,
    total_inflight: sum(views.map((view) => view.total_inflight)),
    backends: mergeByName(
      views.map((view) => view.backends),
      (backend) => backend.name,
      mergeBackendSnapshots,
    ),
    models: first?.models ?? {},
    // Each worker estimates on its own traffic: the first worker's estimates stand for all.
    slo: first?.slo ?? { ttft_slo_s: 0, model_ttft_slos: {}, ttft_estimates: {} },
    // Each worker admits its own requests at gates of its own: the first worker's stand for all.
    kv_admission: first?.kv_admission ?? { enabled: false, gates: {} },
    ...workersSection(gathered),
  };
}

/** This worker's own view, saying why the others are missing. */
export function ownFiguresOnly<View extends object>(view: View): View & Pick<WorkersSection, "note"> {
  return {
    ...view,
    note: "the --workers primary did not answer in time: these are the figures of the worker that answered, only",
  };
}

function workersSection(gathered: Gathered): WorkersSection {
  const section: WorkersSection = {
    workers: gathered.reports.map(({ worker, pid, requests, inflight }) => ({
      worker,
      pid,
      requests,
      inflight,
    })),
  };
  if (gathered.unanswered.length > 0) {
    section.unanswered_workers = [...gathered.unanswered];
    const names = gathered.unanswered.map(({ worker, pid }) => `${worker} (pid ${pid})`).join(", ");
    section.note = `worker ${names} did not answer within ${gathered.deadlineMs} ms: its figures are left out`;
  }
  return section;
}

function figuresOf<View>(gathered: Gathered): View[] {
  return gathered.reports.map((report: WorkerReport) => report.figures as View);
}

function mergeServiceStats(views: readonly ServiceStats[]): ServiceStats {
  const first = views[0];
  return {
    keys_count: first?.keys_count ?? 0,
    endpoints: first?.endpoints ?? [],
    keys: mergeByName(
      views.map((view) => view.keys),
      (key) => key.key,
      mergeKeyViews,
    ),
    endpoint_stats: mergeByName(
      views.map((view) => view.endpoint_stats),
      (endpoint) => endpoint.name,
      mergeEndpointStats,
    ),
  };
}

function mergeKeyViews(views: readonly KeyView[]): KeyView {
  const first = views[0]!;
  return {
    key: first.key,
    fingerprint: first.fingerprint,
    requests: sum(views.map((view) => view.requests)),
    errors: sum(views.map((view) => view.errors)),
    rate_limited: sum(views.map((view) => view.rate_limited)),
    disabled: views.some((view) => view.disabled),
    disabled_reason: firstSet(views.map((view) => view.disabled_reason)),
    cooling_down_ms: Math.max(...views.map((view) => view.cooling_down_ms)),
  };
}

function mergeEndpointStats(views: readonly EndpointStats[]): EndpointStats {
  const first = views[0]!;
  return {
    name: first.name,
    url: first.url,
    requests: sum(views.map((view) => view.requests)),
    failures: sum(views.map((view) => view.failures)),
    inflight: sum(views.map((view) => view.inflight)),
    circuit: mostOpen(views.map((view) => view.circuit)),
    last_error: firstSet(views.map((view) => view.last_error)),
  };
}

function mergeBackendSnapshots(views: readonly BackendSnapshot[]): BackendSnapshot {
  const first = views[0]!;
  const checks = views.map((view) => view.last_check).filter((check): check is string => check !== null);
  return {
    ...first,
    healthy: views.every((view) => view.healthy),
    inflight: sum(views.map((view) => view.inflight)),
    draining: views.some((view) => view.draining),
    circuit: mostOpen(views.map((view) => view.circuit)),
    consecutive_failures: Math.max(...views.map((view) => view.consecutive_failures)),
    ejected: views.some((view) => view.ejected),
    ejected_for_s: Math.max(...views.map((view) => view.ejected_for_s)),
    ejections: sum(views.map((view) => view.ejections)),
    requests: sum(views.map((view) => view.requests)),
    failures: sum(views.map((view) => view.failures)),
    last_error: firstSet(views.map((view) => view.last_error)),
    // ISO timestamps sort as text: the latest check any worker made.
    last_check: checks.sort().at(-1) ?? null,
    upstream: {
      queued: sum(views.map((view) => view.upstream.queued)),
      running: sum(views.map((view) => view.upstream.running)),
      connected: sum(views.map((view) => view.upstream.connected)),
      free: sum(views.map((view) => view.upstream.free)),
      // Workers learn an origin's protocol each on its own: the first that knows it.
      ...protocolOf(views.map((view) => view.upstream.protocol)),
    },
  };
}

/**
 * Groups the items of every list by name, in the order names first appear, and merges each group:
 * a backend registered at runtime may not have reached every worker yet.
 */
function mergeByName<Item>(
  lists: readonly (readonly Item[])[],
  nameOf: (item: Item) => string,
  merge: (items: readonly Item[]) => Item,
): Item[] {
  const groups = new Map<string, Item[]>();
  for (const list of lists) {
    for (const item of list) {
      const group = groups.get(nameOf(item));
      if (group) group.push(item);
      else groups.set(nameOf(item), [item]);
    }
  }
  return [...groups.values()].map(merge);
}

function mostOpen<State extends string>(states: readonly State[]): State {
  return states.reduce((worst, state) =>
    (CIRCUIT_SEVERITY[state] ?? 0) > (CIRCUIT_SEVERITY[worst] ?? 0) ? state : worst,
  );
}

function firstSet<Value>(values: readonly (Value | null)[]): Value | null {
  return values.find((value) => value !== null) ?? null;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function protocolOf(protocols: (UpstreamProtocol | undefined)[]): { protocol?: UpstreamProtocol } {
  const protocol = protocols.find((value) => value !== undefined);
  return protocol ? { protocol } : {};
}
