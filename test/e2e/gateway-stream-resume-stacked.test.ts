/**
 * Stream resume stacked under the other stream converters: an OpenAI backend that cuts its stream
 * after the first token, behind an Anthropic client (translation) and behind a chat client that asked
 * for `separate_thinking` (reasoning separation), still gives one whole, well-formed reply. Round robin
 * keeps a cursor per model, so each model's first request goes to its cutting backend.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let base: string;
let config: ReturnType<typeof writeTempConfig>;

const mock = (id: string, ...extra: string[]) =>
  startCli(["mock", "--port", "0", "--id", id, "--token-delay-ms", "2", ...extra]);

beforeAll(async () => {
  const [cutter, steady, thinkCutter, thinkSteady] = await Promise.all([
    mock("cutter", "--drop-rate", "1"),
    mock("steady"),
    mock("think-cutter", "--drop-rate", "1", "--reasoning", "think"),
    mock("think-steady", "--reasoning", "think"),
  ]);
  const backend = (name: string, url: string, model: string) => ({
    name,
    url,
    models: [model],
    model_type: "qwen3",
  });
  config = writeTempConfig({
    strategy: "round_robin",
    circuit_breaker_threshold: 0,
    backends: [
      backend("cutter", cutter.ready[0]!.url, "mock-model"),
      backend("steady", steady.ready[0]!.url, "mock-model"),
      backend("think-cutter", thinkCutter.ready[0]!.url, "think-model"),
      backend("think-steady", thinkSteady.ready[0]!.url, "think-model"),
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  base = gateway.ready[0]!.url;
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

async function resumesOn(backend: string): Promise<number> {
  const metrics = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
  return sumSamples(metrics, "switchyard_stream_resumes_total", { backend });
}

describe("stream resume under translation and reasoning separation", () => {
  it("resumes an OpenAI backend's stream for an Anthropic client: one well-formed message", async () => {
    const client = new Anthropic({
      baseURL: base,
      apiKey: "sk-test",
      maxRetries: 0,
      defaultHeaders: { "x-switchyard-stream-resume": "true" },
    });
    const stream = client.messages.stream({
      model: "mock-model",
      max_tokens: 256,
      messages: [{ role: "user", content: "tell me three things" }],
    });
    const kinds: string[] = [];
    for await (const event of stream) kinds.push(event.type);
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      { type: "text", text: "[backend=cutter version=0] tell me three things" },
    ]);
    expect(message.stop_reason).toBe("end_turn");
    expect(kinds.filter((kind) => kind === "message_start")).toHaveLength(1);
    expect(kinds.at(-1)).toBe("message_stop");
    expect(kinds).not.toContain("error");
    expect(await resumesOn("steady")).toBe(1);
  });

  it("resumes a stream whose reasoning the gateway separates (separate_thinking)", async () => {
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-switchyard-stream-resume": "true" },
      body: JSON.stringify({
        model: "think-model",
        messages: [{ role: "user", content: "tell me three things" }],
        stream: true,
        separate_thinking: true,
      }),
    });
    expect(response.status).toBe(200);
    const data = (await response.text())
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => line.slice("data: ".length));
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map(
      (line) =>
        JSON.parse(line) as {
          id: string;
          choices: { delta: { role?: string; content?: string; reasoning_content?: string } }[];
        },
    );
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(deltas.filter((delta) => delta.role !== undefined)).toHaveLength(1);
    const content = deltas.map((delta) => delta.content ?? "").join("");
    const reasoning = deltas.map((delta) => delta.reasoning_content ?? "").join("");
    // The cut came after "<think>": the rest, answer included, is the continuation's.
    expect(reasoning).toBe("The user wrote 4 words. I will echo them back.");
    expect(content).toBe("[backend=think-steady version=0] tell me three things");
    expect(await resumesOn("think-steady")).toBe(1);
    expect((await getJson<{ total_inflight: number }>(`${base}/status`)).body.total_inflight).toBe(0);
  });
});
