/**
 * A frozen backend (accepts requests, never answers) among three for one model: streaming clients
 * are moved off it after `first_byte_timeout`, non-streamed ones after `attempt_timeout` (their
 * answer starts only when complete), and once its stalls are seen next to answering peers it is
 * ejected and gets no new requests. Real gateway and mock processes; the assertions are on outcomes
 * and counts (which backend served what, how many attempts timed out), not on timings.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually, getJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

afterAll(stopAll);

const CLIENTS = 12;

const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);
const backendFlag = (mock: CliProcess) => ["--backend", `${mock.ready[0]!.id}=${mock.ready[0]!.url}`];
const url = (process: CliProcess) => process.ready[0]!.url;

interface MockStats {
  requests: { total: number; chat: number };
}
const chatRequests = async (mock: CliProcess) =>
  (await getJson<MockStats>(`${url(mock)}/mock/stats`)).body.requests.chat;

interface StatusBody {
  backends: { name: string; ejected: boolean; ejected_for_s: number; ejections: number; inflight: number }[];
}

/** One chat request, read to its end. */
async function chat(gateway: CliProcess, stream: boolean) {
  const response = await fetch(`${url(gateway)}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-model", stream, messages: [{ role: "user", content: "hello" }] }),
  });
  const text = await response.text();
  return { status: response.status, node: response.headers.get("x-routed-node"), text };
}

const wave = (gateway: CliProcess, stream: boolean) =>
  Promise.all(Array.from({ length: CLIENTS }, () => chat(gateway, stream)));

const modes = [
  { clients: "streaming", stream: true, args: [] as string[], complete: "data: [DONE]", waits: false },
  // Not cut at first_byte_timeout (a long answer would be), but reported as a stall at it: the
  // backend is ejected while its requests still wait for attempt_timeout.
  {
    clients: "non-streamed",
    stream: false,
    args: ["--attempt-timeout", "3"],
    complete: '"chat.completion"',
    waits: true,
  },
];

async function metrics(gateway: CliProcess) {
  const response = await fetch(`${url(gateway)}/metrics`);
  return parsePrometheusText(await response.text());
}

describe.each(modes)("one frozen backend of three, $clients clients", ({ stream, args, complete, waits }) => {
  let good: CliProcess[];
  let frozen: CliProcess;
  let gateway: CliProcess;

  beforeAll(async () => {
    good = await Promise.all(["g1", "g2"].map((id) => startMock(id)));
    frozen = await startMock("frozen", "--hang-rate", "1");
    gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--strategy",
      "round_robin",
      "--first-byte-timeout",
      "0.5",
      "--request-timeout",
      "30",
      "--max-retries",
      "2",
      // The breaker stays out of it: what stops traffic to the frozen backend is its ejection.
      "--circuit-breaker-threshold",
      "0",
      "--circuit-breaker-ttl",
      "600",
      "--health-interval",
      "0",
      ...args,
      ...[...good, frozen].flatMap(backendFlag),
    ]);
  });

  it("answers every client from the good backends, each stalled attempt retried once elsewhere", async () => {
    const answering = wave(gateway, stream);
    if (waits) {
      const frozenNow = async () =>
        (await getJson<StatusBody>(`${url(gateway)}/status`)).body.backends.find(
          (backend) => backend.name === "frozen",
        )!;
      await eventually(async () => (await frozenNow()).ejected);
      expect((await frozenNow()).inflight).toBeGreaterThan(0);
    }
    const answers = await answering;
    expect(answers.map((answer) => answer.status)).toEqual(Array(CLIENTS).fill(200));
    for (const answer of answers) {
      expect(answer.node).toMatch(/^g[12]$/);
      expect(answer.text).toContain(complete);
    }
    const stalled = await chatRequests(frozen);
    // Round robin sent the frozen backend its share before anything was known about it.
    expect(stalled).toBeGreaterThan(0);
    const samples = await metrics(gateway);
    // Each request the frozen backend took timed out once and was retried.
    expect(
      sumSamples(samples, "switchyard_upstream_failures_total", { backend: "frozen", reason: "timeout" }),
    ).toBe(stalled);
    expect(sumSamples(samples, "switchyard_retries_total")).toBe(stalled);
    expect(sumSamples(samples, "switchyard_upstream_failures_total", { backend: "g1" })).toBe(0);
    expect(sumSamples(samples, "switchyard_upstream_failures_total", { backend: "g2" })).toBe(0);
    const served = (await Promise.all(good.map(chatRequests))).reduce((sum, count) => sum + count, 0);
    expect(served).toBe(CLIENTS);
  });

  it("ejects the frozen backend, in /status and the metrics, and the good ones stay in", async () => {
    const { body } = await getJson<StatusBody>(`${url(gateway)}/status`);
    const byName = new Map(body.backends.map((backend) => [backend.name, backend]));
    expect(byName.get("frozen")).toMatchObject({ ejected: true, ejections: 1, inflight: 0 });
    expect(byName.get("frozen")!.ejected_for_s).toBeGreaterThan(0);
    expect(byName.get("g1")).toMatchObject({ ejected: false, ejections: 0 });
    expect(byName.get("g2")).toMatchObject({ ejected: false, ejections: 0 });
    const samples = await metrics(gateway);
    expect(sumSamples(samples, "switchyard_backend_ejections_total", { backend: "frozen" })).toBe(1);
    expect(sumSamples(samples, "switchyard_backend_ejected", { backend: "frozen" })).toBe(1);
    expect(sumSamples(samples, "switchyard_backend_ejected", { backend: "g1" })).toBe(0);
  });

  it("sends no new request to the ejected backend: the next clients are answered at the first attempt", async () => {
    const stalledBefore = await chatRequests(frozen);
    const retriesBefore = sumSamples(await metrics(gateway), "switchyard_retries_total");
    const answers = await wave(gateway, stream);
    expect(answers.map((answer) => answer.status)).toEqual(Array(CLIENTS).fill(200));
    expect(new Set(answers.map((answer) => answer.node))).toEqual(new Set(["g1", "g2"]));
    expect(await chatRequests(frozen)).toBe(stalledBefore);
    expect(sumSamples(await metrics(gateway), "switchyard_retries_total")).toBe(retriesBefore);
  });
});
