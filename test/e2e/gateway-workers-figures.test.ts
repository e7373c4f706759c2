/**
 * `switchyard gateway --workers 2` in the key-pool workflow (OPENAI_API_KEYS and SERVICE_ENDPOINTS
 * in front of a mock): requests on fresh connections reach both workers, and `/stats`, `/status`
 * and `/metrics` report the whole gateway's counts whichever worker answers them.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

const REQUESTS = 12;
/** Enough fresh connections that, handed out in turn, both workers answer some of the calls. */
const CALLS_PER_ENDPOINT = 4;

let gateway: CliProcess;
let base: string;

interface Answer {
  status: number;
  /** The answering worker's request-id prefix (proxied responses carry one). */
  worker: string | undefined;
  text: string;
}

/** One request on a connection of its own, so the primary hands it to the next worker in turn. */
function send(path: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      new URL(path, base),
      {
        method: payload === undefined ? "GET" : "POST",
        agent: false,
        headers: payload === undefined ? {} : { "content-type": "application/json" },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const requestId = response.headers["x-request-id"];
          resolve({
            status: response.statusCode ?? 0,
            worker:
              typeof requestId === "string" ? requestId.slice(0, requestId.lastIndexOf("-")) : undefined,
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

async function getJsonFresh<T>(path: string): Promise<T> {
  const answer = await send(path);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.text) as T;
}

beforeAll(async () => {
  const mock = await startCli(["mock", "--port", "0", "--id", "hosted", "--models", "gpt-4o-mini"]);
  gateway = await startCli(["gateway", "--workers", "2", "--port", "0", "--log-level", "warn"], {
    env: {
      OPENAI_API_KEYS: "sk-test-one,sk-test-two",
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [`${mock.ready[0]!.url}/v1`] }),
    },
    timeoutMs: 20_000,
  });
  base = gateway.ready[0]!.url;
  const workers = new Set<string | undefined>();
  for (let i = 0; i < REQUESTS; i++) {
    const answer = await send("/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `hello ${i}` }],
    });
    expect(answer.status).toBe(200);
    workers.add(answer.worker);
  }
  // Otherwise the test would pass without any merging.
  expect(workers.size).toBe(2);
});

afterAll(stopAll);

interface StatsBody {
  load_balancer_stats: {
    openai: {
      keys_count: number;
      keys: { key: string; requests: number }[];
      endpoint_stats: { requests: number; inflight: number }[];
    };
  };
  workers: { worker: number; pid: number; requests: number }[];
  unanswered_workers?: unknown[];
}

interface StatusBody {
  total_inflight: number;
  backends: { requests: number; failures: number }[];
  workers: { worker: number; requests: number }[];
}

describe("gateway --workers: operator endpoints", () => {
  it("/stats sums every worker's per-key and per-endpoint counts and lists each worker's share", async () => {
    for (let call = 0; call < CALLS_PER_ENDPOINT; call++) {
      const stats = await getJsonFresh<StatsBody>("/stats");
      const openai = stats.load_balancer_stats.openai;
      expect(openai.keys_count).toBe(2);
      expect(openai.keys.map((key) => key.key)).toEqual(["key-1", "key-2"]);
      expect(openai.keys.reduce((sum, key) => sum + key.requests, 0)).toBe(REQUESTS);
      expect(openai.endpoint_stats).toHaveLength(1);
      expect(openai.endpoint_stats[0]!.requests).toBe(REQUESTS);
      expect(stats.workers.map((worker) => worker.worker)).toEqual([1, 2]);
      expect(stats.workers.every((worker) => worker.requests > 0)).toBe(true);
      expect(stats.workers.reduce((sum, worker) => sum + worker.requests, 0)).toBe(REQUESTS);
      expect(stats.unanswered_workers).toBeUndefined();
    }
  });

  it("/status sums every worker's backend counts", async () => {
    for (let call = 0; call < CALLS_PER_ENDPOINT; call++) {
      const status = await getJsonFresh<StatusBody>("/status");
      expect(status.backends).toHaveLength(1);
      expect(status.backends[0]!.requests).toBe(REQUESTS);
      expect(status.backends[0]!.failures).toBe(0);
      expect(status.total_inflight).toBe(0);
      expect(status.workers.reduce((sum, worker) => sum + worker.requests, 0)).toBe(REQUESTS);
    }
  });

  it("/metrics sums every worker's counters and histogram buckets", async () => {
    for (let call = 0; call < CALLS_PER_ENDPOINT; call++) {
      const answer = await send("/metrics");
      expect(answer.status).toBe(200);
      const samples = parsePrometheusText(answer.text);
      expect(sumSamples(samples, "switchyard_requests_total", { status: "200" })).toBe(REQUESTS);
      expect(sumSamples(samples, "switchyard_request_duration_seconds_count")).toBe(REQUESTS);
      expect(sumSamples(samples, "switchyard_request_duration_seconds_bucket", { le: "+Inf" })).toBe(
        REQUESTS,
      );
      expect(sumSamples(samples, "switchyard_workers", { state: "answered" })).toBe(2);
      expect(sumSamples(samples, "switchyard_workers", { state: "unanswered" })).toBe(0);
      // Whether a backend is up is each worker's own finding: one series per worker, not a sum.
      const up = samples.filter((sample) => sample.name === "switchyard_backend_up");
      expect(up.map((sample) => sample.labels.worker).sort()).toEqual(["1", "2"]);
      expect(up.every((sample) => sample.value === 1)).toBe(true);
    }
  });
});
