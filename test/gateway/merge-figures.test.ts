/**
 * Merging `/stats` and `/status` across `--workers` workers: counters and in-flight counts summed,
 * per-worker findings combined so no worker's trouble is hidden, configuration taken once, every
 * worker's share listed and a missing worker named.
 */
import { describe, expect, it } from "vitest";
import type { StatsView, StatusView } from "../../src/gateway/local-figures.js";
import { mergeStats, mergeStatus, ownFiguresOnly } from "../../src/gateway/merge-figures.js";
import type { Gathered, WorkerReport } from "../../src/worker-figures/messages.js";

const key = (
  name: string,
  requests: number,
  extra: Partial<StatsView["load_balancer_stats"]["openai"]["keys"][number]> = {},
) => ({
  key: name,
  fingerprint: `fp-${name}`,
  requests,
  errors: 0,
  rate_limited: 0,
  disabled: false,
  disabled_reason: null,
  cooling_down_ms: 0,
  ...extra,
});

const endpoint = (
  requests: number,
  extra: Partial<StatsView["load_balancer_stats"]["openai"]["endpoint_stats"][number]> = {},
) => ({
  name: "openai-1",
  url: "http://upstream/v1",
  requests,
  failures: 0,
  inflight: 0,
  circuit: "closed" as const,
  last_error: null,
  ...extra,
});

const noService = { keys_count: 0, endpoints: [], keys: [], endpoint_stats: [] };

function stats(keys: ReturnType<typeof key>[], endpoints: ReturnType<typeof endpoint>[]): StatsView {
  return {
    load_balancer_stats: {
      openai: { keys_count: 2, endpoints: ["http://upstream/v1"], keys, endpoint_stats: endpoints },
      anthropic: noService,
    },
  };
}

const report = (worker: number, figures: unknown, requests = 0, inflight = 0): WorkerReport => ({
  worker,
  pid: 1000 + worker,
  requests,
  inflight,
  figures,
});

const gathered = (reports: WorkerReport[], unanswered: Gathered["unanswered"] = []): Gathered => ({
  reports,
  unanswered,
  deadlineMs: 1000,
});

describe("mergeStats", () => {
  it("sums per-key and per-endpoint counts, keeps the worst key and circuit state, and lists each worker", () => {
    const merged = mergeStats(
      gathered([
        report(
          1,
          stats(
            [key("key-1", 3), key("key-2", 2, { rate_limited: 1, cooling_down_ms: 500 })],
            [endpoint(5, { inflight: 1 })],
          ),
          5,
          1,
        ),
        report(
          2,
          stats(
            [key("key-1", 4, { errors: 1 }), key("key-2", 3, { disabled: true, disabled_reason: "401" })],
            [endpoint(7, { failures: 1, circuit: "open", last_error: "connect refused" })],
          ),
          7,
        ),
      ]),
    );
    const openai = merged.load_balancer_stats.openai;
    expect(openai.keys_count).toBe(2);
    expect(openai.endpoints).toEqual(["http://upstream/v1"]);
    expect(openai.keys).toEqual([
      key("key-1", 7, { errors: 1 }),
      key("key-2", 5, { rate_limited: 1, cooling_down_ms: 500, disabled: true, disabled_reason: "401" }),
    ]);
    expect(openai.endpoint_stats).toEqual([
      endpoint(12, { inflight: 1, failures: 1, circuit: "open", last_error: "connect refused" }),
    ]);
    expect(merged.load_balancer_stats.anthropic).toEqual(noService);
    expect(merged.workers).toEqual([
      { worker: 1, pid: 1001, requests: 5, inflight: 1 },
      { worker: 2, pid: 1002, requests: 7, inflight: 0 },
    ]);
    expect(merged.unanswered_workers).toBeUndefined();
    expect(merged.note).toBeUndefined();
  });

  it("names the workers that did not answer", () => {
    const merged = mergeStats(gathered([report(1, stats([], []))], [{ worker: 2, pid: 1002 }]));
    expect(merged.workers.map((worker) => worker.worker)).toEqual([1]);
    expect(merged.unanswered_workers).toEqual([{ worker: 2, pid: 1002 }]);
    expect(merged.note).toContain("2 (pid 1002) did not answer within 1000 ms");
  });
});

function backend(extra: Partial<StatusView["backends"][number]> = {}): StatusView["backends"][number] {
  return {
    name: "a",
    url: "http://a",
    source: "config",
    kind: "openai",
    model_type: "generic",
    models: ["m"],
    healthy: true,
    inflight: 0,
    max_connections: 0,
    weight: 1,
    draining: false,
    circuit: "closed",
    consecutive_failures: 0,
    ejected: false,
    ejected_for_s: 0,
    ejections: 0,
    requests: 0,
    failures: 0,
    last_error: null,
    last_check: null,
    upstream: { queued: 0, running: 0, connected: 0, free: 0 },
    ...extra,
  } as StatusView["backends"][number];
}

function status(uptime: number, backends: StatusView["backends"]): StatusView {
  return {
    strategy: "round_robin",
    model_strategies: {},
    uptime_s: uptime,
    health_interval_s: 30,
    total_inflight: backends.reduce((sum, each) => sum + each.inflight, 0),
    backends,
    models: { m: backends.map((each) => each.name) },
    slo: { ttft_slo_s: 0, model_ttft_slos: {}, ttft_estimates: {} },
    kv_admission: { enabled: false, gates: {} },
  };
}

describe("mergeStatus", () => {
  it("sums backend counts, is healthy only where every worker agrees, and keeps backends only some workers know", () => {
    const merged = mergeStatus(
      gathered([
        report(
          1,
          status(100, [
            backend({
              requests: 4,
              inflight: 2,
              last_check: "2030-01-01T00:00:01.000Z",
              upstream: { queued: 3, running: 2, connected: 2, free: 0 },
            }),
            backend({ name: "b", requests: 1 }),
          ]),
        ),
        report(
          2,
          status(40, [
            backend({
              requests: 6,
              failures: 2,
              inflight: 1,
              healthy: false,
              circuit: "half_open",
              consecutive_failures: 2,
              ejected: true,
              ejected_for_s: 12,
              ejections: 1,
              last_error: "timeout",
              last_check: "2030-01-01T00:00:02.000Z",
              upstream: { queued: 1, running: 1, connected: 2, free: 1, protocol: "h2" },
            }),
          ]),
        ),
      ]),
    );
    expect(merged.uptime_s).toBe(100);
    expect(merged.total_inflight).toBe(3);
    expect(merged.strategy).toBe("round_robin");
    expect(merged.backends).toEqual([
      backend({
        requests: 10,
        failures: 2,
        inflight: 3,
        healthy: false,
        circuit: "half_open",
        consecutive_failures: 2,
        ejected: true,
        ejected_for_s: 12,
        ejections: 1,
        last_error: "timeout",
        last_check: "2030-01-01T00:00:02.000Z",
        upstream: { queued: 4, running: 3, connected: 4, free: 1, protocol: "h2" },
      }),
      backend({ name: "b", requests: 1 }),
    ]);
    expect(merged.workers.map((worker) => worker.pid)).toEqual([1001, 1002]);
  });
});

describe("ownFiguresOnly", () => {
  it("keeps the view and says why the other workers are missing", () => {
    const view = ownFiguresOnly(stats([], []));
    expect(view.load_balancer_stats.openai.keys_count).toBe(2);
    expect(view.note).toMatch(/primary did not answer/);
  });
});
