/** The engine simulator behind the mock's real routes, in process, on a fast clock. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningMock, startEngineSim, startMock } from "../../../src/mock/server.js";
import { parsePrometheusText, sumSamples } from "../../helpers/prometheus.js";

let engine: RunningMock;

beforeAll(async () => {
  engine = await startEngineSim({
    port: 0,
    models: ["sim-model"],
    timeScale: 1000,
    kvCacheTokens: 20_000,
    logLevel: "silent",
  });
});

afterAll(() => engine.close());

const SYSTEM = "You are a careful assistant. ".repeat(200);

async function post(path: string, body: unknown) {
  const response = await fetch(`${engine.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function metrics() {
  return parsePrometheusText(await (await fetch(`${engine.url}/metrics`)).text());
}

describe("mock --engine-sim", () => {
  it("answers chat with usage in the simulator's tokens, and ignore_eos generates max_tokens", async () => {
    const chat = {
      model: "sim-model",
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: "hello" },
      ],
    };
    const plain = await post("/v1/chat/completions", chat);
    expect(plain.status).toBe(200);
    const usage = JSON.parse(plain.text).usage;
    // 5,800 characters of system prompt plus role markers: about 1,460 tokens at 4 characters each.
    expect(usage.prompt_tokens).toBeGreaterThan(1450);
    expect(usage.completion_tokens).toBe(3);
    const long = await post("/v1/chat/completions", { ...chat, max_tokens: 50, ignore_eos: true });
    const reply = JSON.parse(long.text);
    expect(reply.usage.completion_tokens).toBe(50);
    expect(reply.choices[0].finish_reason).toBe("length");
  });

  it("exports vLLM's metrics with the model_name label, and counts the shared prefix as hits", async () => {
    const before = await metrics();
    const hitsBefore = sumSamples(before, "vllm:prefix_cache_hits_total");
    const message = { role: "user", content: "hello" };
    const result = await post("/v1/messages", {
      model: "sim-model",
      max_tokens: 5,
      system: SYSTEM,
      messages: [message],
    });
    expect(result.status).toBe(200);
    await post("/v1/messages", { model: "sim-model", max_tokens: 5, system: SYSTEM, messages: [message] });
    const after = await metrics();
    const names = new Set(after.map((sample) => sample.name));
    for (const name of [
      "vllm:num_requests_running",
      "vllm:num_requests_waiting",
      "vllm:kv_cache_usage_perc",
      "vllm:prefix_cache_queries_total",
      "vllm:prefix_cache_hits_total",
      "vllm:prompt_tokens_total",
      "vllm:generation_tokens_total",
      "vllm:time_to_first_token_seconds_bucket",
      "vllm:time_to_first_token_seconds_count",
      "vllm:request_queue_time_seconds_count",
      "vllm:e2e_request_latency_seconds_count",
    ]) {
      expect(names).toContain(name);
    }
    // Like vLLM's, every sample names the model but the cache config, an info gauge per engine core.
    const perModel = after.filter((sample) => sample.name !== "vllm:cache_config_info");
    expect(perModel.every((sample) => sample.labels.model_name === "sim-model")).toBe(true);
    expect(after.filter((sample) => sample.name === "vllm:cache_config_info")).toHaveLength(1);
    expect(sumSamples(after, "vllm:prefix_cache_hits_total") - hitsBefore).toBeGreaterThan(1400);
    expect(sumSamples(after, "vllm:num_requests_running")).toBe(0);
    expect(sumSamples(after, "vllm:kv_cache_usage_perc")).toBe(0);
    expect(sumSamples(after, "vllm:time_to_first_token_seconds_count")).toBeGreaterThanOrEqual(4);
  });

  it("caches a reply's blocks, so the next turn that repeats it hits past the first prompt", async () => {
    const user = { role: "user", content: `caching replies ${"please ".repeat(20)}` };
    const first = { model: "sim-model", messages: [{ role: "system", content: `${SYSTEM} turns` }, user] };
    const reply = JSON.parse(
      (await post("/v1/chat/completions", { ...first, max_tokens: 120, ignore_eos: true })).text,
    );
    const firstPromptTokens: number = reply.usage.prompt_tokens;
    const hitsBefore = sumSamples(await metrics(), "vllm:prefix_cache_hits_total");
    await post("/v1/chat/completions", {
      model: "sim-model",
      max_tokens: 1,
      messages: [...first.messages, reply.choices[0].message, { role: "user", content: "and then?" }],
    });
    const hits = sumSamples(await metrics(), "vllm:prefix_cache_hits_total") - hitsBefore;
    expect(hits).toBeGreaterThan(firstPromptTokens + 100);
  });

  it("POST /reset_prefix_cache forgets the cached prefixes, as vLLM's endpoint does", async () => {
    const request = {
      model: "sim-model",
      max_tokens: 2,
      system: `${SYSTEM} reset`,
      messages: [{ role: "user", content: "hi" }],
    };
    await post("/v1/messages", request);
    const reset = await fetch(`${engine.url}/reset_prefix_cache`, { method: "POST" });
    expect(reset.status).toBe(200);
    const hitsBefore = sumSamples(await metrics(), "vllm:prefix_cache_hits_total");
    await post("/v1/messages", request);
    expect(sumSamples(await metrics(), "vllm:prefix_cache_hits_total")).toBe(hitsBefore);
  });

  it("streams a chat reply token by token as a whole SSE stream", async () => {
    const result = await post("/v1/chat/completions", {
      model: "sim-model",
      messages: [{ role: "user", content: "one two three" }],
      stream: true,
    });
    const deltas = result.text
      .split("\n\n")
      .filter((frame) => frame.startsWith("data: {"))
      .map((frame) => JSON.parse(frame.slice(6)).choices[0]?.delta?.content ?? "")
      .join("");
    expect(deltas).toMatch(/one two three$/);
    expect(result.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("aborts a request in the engine when its client leaves, freeing its place and blocks", async () => {
    // Real time: 2,000 tokens take about 12 s, far longer than the test needs.
    const slow = await startEngineSim({ port: 0, models: ["sim-model"], logLevel: "silent" });
    const abort = new AbortController();
    const slowMetrics = async () => parsePrometheusText(await (await fetch(`${slow.url}/metrics`)).text());
    try {
      const response = await fetch(`${slow.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "sim-model",
          messages: [{ role: "user", content: "stay" }],
          max_tokens: 2000,
          ignore_eos: true,
          stream: true,
        }),
        signal: abort.signal,
      });
      await response.body!.getReader().read();
      expect(sumSamples(await slowMetrics(), "vllm:num_requests_running")).toBe(1);
      abort.abort();
      await expect
        .poll(async () => {
          const samples = await slowMetrics();
          return [
            sumSamples(samples, "vllm:num_requests_running"),
            sumSamples(samples, "vllm:kv_cache_usage_perc"),
          ];
        })
        .toEqual([0, 0]);
    } finally {
      abort.abort();
      await slow.close();
    }
  });

  it("answers a request that can never fit the KV cache 400 context_length_exceeded, in each protocol", async () => {
    const huge = "x".repeat(100_000);
    const openai = await post("/v1/chat/completions", {
      model: "sim-model",
      messages: [{ role: "user", content: huge }],
    });
    expect(openai.status).toBe(400);
    expect(JSON.parse(openai.text).error.code).toBe("context_length_exceeded");
    const anthropic = await post("/v1/messages", {
      model: "sim-model",
      max_tokens: 10,
      messages: [{ role: "user", content: huge }],
    });
    expect(anthropic.status).toBe(400);
    expect(JSON.parse(anthropic.text).type).toBe("error");
  });

  it("still injects faults: a drop cuts a stream after its first token and aborts it in the engine", async () => {
    const dropping = await startEngineSim({
      port: 0,
      models: ["sim-model"],
      dropRate: 1,
      timeScale: 1000,
      logLevel: "silent",
    });
    try {
      const response = await fetch(`${dropping.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "sim-model",
          messages: [{ role: "user", content: "a b c d e" }],
          stream: true,
        }),
      });
      await expect(response.text()).rejects.toThrow();
      const samples = parsePrometheusText(await (await fetch(`${dropping.url}/metrics`)).text());
      expect(sumSamples(samples, "vllm:num_requests_running")).toBe(0);
      expect(sumSamples(samples, "vllm:generation_tokens_total")).toBeGreaterThanOrEqual(1);
    } finally {
      await dropping.close();
    }
  });

  it("leaves /metrics out of the plain mock", async () => {
    const plain = await startMock({ port: 0, logLevel: "silent" });
    try {
      expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
