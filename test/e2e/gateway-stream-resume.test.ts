/**
 * Opt-in mid-stream failover: a backend that cuts its stream after the first token, and a client that
 * asked for `x-switchyard-stream-resume: true`, still reads one whole, well-formed reply.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let base: string;
let config: ReturnType<typeof writeTempConfig>;

beforeAll(async () => {
  const [cutter, steady] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "cutter", "--drop-rate", "1", "--token-delay-ms", "2"]),
    startCli(["mock", "--port", "0", "--id", "steady", "--token-delay-ms", "2"]),
  ]);
  config = writeTempConfig({
    strategy: "round_robin",
    circuit_breaker_threshold: 0,
    backends: [
      { name: "cutter", url: cutter.ready[0]!.url, models: ["mock-model"] },
      { name: "steady", url: steady.ready[0]!.url, models: ["mock-model"] },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  base = gateway.ready[0]!.url;
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

async function streamText(resume: boolean) {
  const client = new OpenAI({
    baseURL: `${base}/v1`,
    apiKey: "sk-test",
    maxRetries: 0,
    defaultHeaders: resume ? { "x-switchyard-stream-resume": "true" } : {},
  });
  const stream = await client.chat.completions.create({
    model: "mock-model",
    messages: [{ role: "user", content: "tell me three things" }],
    stream: true,
  });
  let text = "";
  const ids = new Set<string>();
  let roles = 0;
  let finish: string | null = null;
  for await (const chunk of stream) {
    ids.add(chunk.id);
    const choice = chunk.choices[0];
    if (choice?.delta.role) roles++;
    text += choice?.delta.content ?? "";
    finish = choice?.finish_reason ?? finish;
  }
  return { text, ids, roles, finish };
}

describe("stream resume", () => {
  it("continues a stream cut mid-way on another backend, seamlessly", async () => {
    // Round robin sends the first request to `cutter`, which drops the connection after one token.
    const { text, ids, roles, finish } = await streamText(true);
    expect(text).toBe("[backend=cutter version=0] tell me three things");
    expect(ids.size).toBe(1);
    expect(roles).toBe(1);
    expect(finish).toBe("stop");
    const metrics = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    expect(sumSamples(metrics, "switchyard_stream_resumes_total", { backend: "steady" })).toBe(1);
    expect((await getJson<{ total_inflight: number }>(`${base}/status`)).body.total_inflight).toBe(0);
  });

  it("ends with an error event when the client did not opt in", async () => {
    // Round robin alternates: of two requests, exactly one lands on `cutter`.
    const outcomes = await Promise.all([0, 1].map(() => streamText(false).catch((error: unknown) => error)));
    const failures = outcomes.filter((outcome) => outcome instanceof Error);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(OpenAI.APIError);
    expect(String((failures[0] as Error).message)).toContain("mid-stream");
  });
});
