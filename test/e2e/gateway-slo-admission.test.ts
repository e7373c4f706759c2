/**
 * SLO admission end to end: a gateway with a time-to-first-token target in front of a mock whose
 * first token comes later than the target. The first request finds the backend idle and goes
 * (an idle backend is never held back) and misses the target; once a request is in flight, the
 * backend's expected wait is above the target, so further requests are shed with 429 `slo_shed`
 * and Retry-After, in each client's protocol, and counted. A model whose own target is generous
 * meets it. Nothing asserts a duration: the mock's delays are the only clock, and the targets sit
 * far on either side of them.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually, getJson, postJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

afterAll(stopAll);

let mock: CliProcess;
let gateway: CliProcess;
const url = () => gateway.ready[0]!.url;
/** A stream left waiting for its first token, so the backend has a request in flight. */
const background = new AbortController();

beforeAll(async () => {
  mock = await startCli([
    "mock",
    "--port",
    "0",
    "--id",
    "slow",
    "--models",
    "mock-model,patient-model",
    "--first-token-delay-ms",
    "2000",
  ]);
  gateway = await startCli([
    "gateway",
    "--port",
    "0",
    "--log-level",
    "error",
    "--backend",
    `slow=${mock.ready[0]!.url}`,
    "--ttft-slo",
    "0.5",
    "--model-ttft-slos",
    "patient-model=60",
    "--slo-queue-timeout",
    "0.2",
  ]);
});

afterAll(() => background.abort());

async function metrics() {
  return parsePrometheusText(await (await fetch(`${url()}/metrics`)).text());
}

function streamChat(model: string, signal?: AbortSignal) {
  return fetch(`${url()}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal,
  });
}

describe("SLO admission", () => {
  it("sends a request to an idle backend and counts its late first token as missed", async () => {
    const response = await streamChat("mock-model");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("[DONE]");
    const samples = await metrics();
    expect(sumSamples(samples, "switchyard_slo_missed_total", { model: "mock-model" })).toBe(1);
    expect(sumSamples(samples, "switchyard_slo_met_total")).toBe(0);
  });

  it("meets a model's own generous target", async () => {
    const response = await postJson(`${url()}/v1/chat/completions`, {
      model: "patient-model",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(200);
    expect(sumSamples(await metrics(), "switchyard_slo_met_total", { model: "patient-model" })).toBe(1);
  });

  it("sheds an OpenAI client's request with 429 slo_shed and Retry-After while the backend is busy", async () => {
    // From now on the backend holds one request that waits long for its first token.
    await postJson(`${mock.ready[0]!.url}/mock/faults`, { firstTokenDelayMs: 600_000 });
    void streamChat("mock-model", background.signal).catch(() => undefined);
    await eventually(
      async () => (await getJson<{ total_inflight: number }>(`${url()}/status`)).body.total_inflight === 1,
    );

    const client = new OpenAI({ baseURL: `${url()}/v1`, apiKey: "unused", maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: "mock-model", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.code).toBe("slo_shed");
    expect(apiError.type).toBe("rate_limit_error");
    expect(Number(apiError.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("sheds an Anthropic client's request in Anthropic's shape", async () => {
    const raw = await postJson<{ type: string; error: { type: string; message: string } }>(
      `${url()}/v1/messages`,
      { model: "mock-model", max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
      { "anthropic-version": "2023-06-01" },
    );
    expect(raw.status).toBe(429);
    expect(raw.body.type).toBe("error");
    expect(raw.body.error.type).toBe("rate_limit_error");
    expect(Number(raw.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    const client = new Anthropic({ baseURL: url(), apiKey: "unused", maxRetries: 0 });
    const error = await client.messages
      .create({ model: "mock-model", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
  });

  it("counts every shed request, and never a shed one as met or missed", async () => {
    const samples = await metrics();
    expect(sumSamples(samples, "switchyard_slo_shed_total", { model: "mock-model" })).toBe(3);
    expect(sumSamples(samples, "switchyard_slo_missed_total")).toBe(1);
    expect(sumSamples(samples, "switchyard_requests_total", { model: "mock-model", status: "429" })).toBe(3);
  });

  it("shows the targets and the backend's TTFT estimate in /status", async () => {
    const status = await getJson<{
      slo: {
        ttft_slo_s: number;
        model_ttft_slos: Record<string, number>;
        ttft_estimates: Record<string, { ttft_ms: number }>;
      };
    }>(`${url()}/status`);
    expect(status.body.slo.ttft_slo_s).toBe(0.5);
    expect(status.body.slo.model_ttft_slos).toEqual({ "patient-model": 60 });
    // Two answers, each after the mock's first-token delay: the estimate is above the target.
    expect(status.body.slo.ttft_estimates.slow!.ttft_ms).toBeGreaterThan(500);
  });
});

describe("SLO admission holding a request back", () => {
  it("queues a request that would wait behind another, and sends it when the slot frees", async () => {
    // TTFT about 1 s with one request ahead, a 0.2 s target: only a request with nothing ahead goes.
    const one = await startCli(["mock", "--port", "0", "--id", "one", "--first-token-delay-ms", "1000"]);
    const held = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--backend",
      `one=${one.ready[0]!.url}`,
      "--ttft-slo",
      "0.2",
      "--slo-queue-timeout",
      "60",
    ]);
    const send = () =>
      postJson(`${held.ready[0]!.url}/v1/chat/completions`, {
        model: "mock-model",
        messages: [{ role: "user", content: "hi" }],
      });
    expect((await send()).status).toBe(200);
    const pair = await Promise.all([send(), send()]);
    expect(pair.map((response) => response.status)).toEqual([200, 200]);
    const stats = await getJson<{ max_inflight_seen: number }>(`${one.ready[0]!.url}/mock/stats`);
    expect(stats.body.max_inflight_seen).toBe(1);
    const samples = parsePrometheusText(await (await fetch(`${held.ready[0]!.url}/metrics`)).text());
    expect(sumSamples(samples, "switchyard_slo_shed_total")).toBe(0);
    expect(sumSamples(samples, "switchyard_slo_missed_total")).toBe(3);
  });
});
