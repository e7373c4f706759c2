/**
 * `switchyard mock --engine-sim` as a real process on a fast clock, driven by the official OpenAI
 * SDK: streamed tokens arrive, and the engine's vLLM metrics count the conversation's shared prefix.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

let engine: CliProcess;
let url: string;
let client: OpenAI;

beforeAll(async () => {
  engine = await startCli([
    "mock",
    "--port",
    "0",
    "--models",
    "llama",
    "--engine-sim",
    "--engine-profile",
    "llama-3.1-8b-h100",
    "--kv-cache-tokens",
    "50000",
    "--max-num-seqs",
    "8",
    "--time-scale",
    "200",
    "--seed",
    "3",
    "--log-level",
    "silent",
  ]);
  url = engine.ready[0]!.url;
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test", maxRetries: 0 });
});

afterAll(stopAll);

const system = { role: "system" as const, content: "You are an agent with many tools. ".repeat(300) };

describe("switchyard mock --engine-sim (OpenAI SDK)", () => {
  it("streams the tokens the simulated engine generates, then reuses the conversation's prefix", async () => {
    const first = await client.chat.completions.create({
      model: "llama",
      messages: [system, { role: "user", content: "list the files" }],
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
      // @ts-expect-error vLLM's extra sampling parameter, sent as is
      ignore_eos: true,
    });
    let text = "";
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of first) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.choices[0]?.delta?.content) chunks++;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBe(20);
    expect(text).toContain("list the files");
    expect(usage?.completion_tokens).toBe(20);

    const second = await client.chat.completions.create({
      model: "llama",
      messages: [
        system,
        { role: "user", content: "list the files" },
        { role: "assistant", content: text },
        { role: "user", content: "now open the first" },
      ],
      stream: true,
    });
    for await (const _chunk of second) {
      // drain
    }
    const samples = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    const queries = sumSamples(samples, "vllm:prefix_cache_queries_total", { model_name: "llama" });
    const hits = sumSamples(samples, "vllm:prefix_cache_hits_total", { model_name: "llama" });
    // The system prompt (2,550 tokens) and the first user turn come from the cache the second time.
    expect(hits).toBeGreaterThan(2500);
    expect(hits / queries).toBeGreaterThan(0.4);
    expect(sumSamples(samples, "vllm:time_to_first_token_seconds_count")).toBe(2);
    expect(sumSamples(samples, "vllm:generation_tokens_total")).toBeGreaterThan(20);
  });
});
