/**
 * `hedge_after` with real processes: one frozen backend (`switchyard mock --hang-rate 1`: accepts,
 * never answers) and one good one, non-streamed clients, `request_timeout` at its default of 300 s
 * and no `attempt_timeout`. Without the hedge, each request the frozen backend took would wait the
 * whole 300 s (longer than this test may run); with it, every client is answered by the good
 * backend, the frozen one's requests are cancelled (not counted as failures) and it is ejected.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

afterAll(stopAll);

const CLIENTS = 8;
const url = (process: CliProcess) => process.ready[0]!.url;
const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);
const backendFlag = (mock: CliProcess) => ["--backend", `${mock.ready[0]!.id}=${url(mock)}`];

async function chat(gateway: CliProcess) {
  const response = await fetch(`${url(gateway)}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "hello" }] }),
  });
  return {
    status: response.status,
    node: response.headers.get("x-routed-node"),
    text: await response.text(),
  };
}

describe("a frozen backend and a good one, non-streamed clients, hedge_after 0.5 s", () => {
  let frozen: CliProcess;
  let good: CliProcess;
  let gateway: CliProcess;

  beforeAll(async () => {
    // The frozen backend first: round robin sends it the first request, before anything is known.
    frozen = await startMock("frozen", "--hang-rate", "1");
    good = await startMock("good");
    gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--strategy",
      "round_robin",
      "--hedge-after",
      "0.5",
      "--health-interval",
      "0",
      ...backendFlag(frozen),
      ...backendFlag(good),
    ]);
  });

  it("answers every client from the good backend, each request the frozen one took hedged there", async () => {
    const answers = await Promise.all(Array.from({ length: CLIENTS }, () => chat(gateway)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(CLIENTS).fill(200));
    for (const answer of answers) {
      expect(answer.node).toBe("good");
      expect(answer.text).toContain('"chat.completion"');
    }
    const stalled = (await getJson<{ requests: { chat: number } }>(`${url(frozen)}/mock/stats`)).body.requests
      .chat;
    expect(stalled).toBeGreaterThan(0);
    const samples = parsePrometheusText(await (await fetch(`${url(gateway)}/metrics`)).text());
    expect(sumSamples(samples, "switchyard_hedges_total", { outcome: "won" })).toBe(stalled);
    expect(sumSamples(samples, "switchyard_upstream_failures_total", { backend: "frozen" })).toBe(0);
    expect(sumSamples(samples, "switchyard_backend_ejections_total", { backend: "frozen" })).toBe(1);
    const status = await getJson<{ backends: { name: string; inflight: number; ejected: boolean }[] }>(
      `${url(gateway)}/status`,
    );
    expect(status.body.backends.find((backend) => backend.name === "frozen")).toMatchObject({
      inflight: 0,
      ejected: true,
    });
  });
});
