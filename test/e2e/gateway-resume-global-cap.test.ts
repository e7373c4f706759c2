/**
 * A resumed stream is an attempt like any other: its continuation takes the backend's slot in the
 * shared store, so a global cap holds across replicas while it runs. Two replicas share a real
 * `redis-server`; the backend that takes over is capped at one request, and the mock's own count of
 * concurrent requests says whether a second one ever reached it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace, startReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable();
let redis: RedisServer;
let config: ReturnType<typeof writeTempConfig>;
let steady: CliProcess;
let first: CliProcess;
let second: CliProcess;

const url = (process: CliProcess) => process.ready[0]!.url;
/** Long enough that the continuation is still generating when the second replica asks. */
const PROMPT = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");

beforeAll(async () => {
  if (!available) return;
  redis = await startRedisServer();
  const [cutter, taker] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "cutter", "--drop-rate", "1", "--token-delay-ms", "2"]),
    startCli(["mock", "--port", "0", "--id", "steady", "--token-delay-ms", "40"]),
  ]);
  steady = taker;
  config = writeTempConfig({
    strategy: "round_robin",
    circuit_breaker_threshold: 0,
    queue_timeout: 30,
    backends: [
      { name: "cutter", url: url(cutter), models: ["mock-model"] },
      { name: "steady", url: url(steady), models: ["mock-model"], max_connections: 1 },
    ],
  });
  const namespace = randomNamespace();
  [first, second] = await Promise.all([
    startReplica(redis.url, namespace, ["--config", config.path]),
    startReplica(redis.url, namespace, ["--config", config.path]),
  ]);
});

afterAll(async () => {
  await stopAll();
  await redis?.stop();
  config?.remove();
});

/** Reads an SSE chat stream, calling `onContent` with the text so far after each chunk. */
async function readStream(response: Response, onContent: (text: string) => void): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    buffered += value;
    const events = buffered.split("\n\n");
    buffered = events.pop() ?? "";
    for (const event of events) {
      const data = event.replace(/^data: /, "");
      if (data === "[DONE]" || !data.startsWith("{")) continue;
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
      text += chunk.choices?.[0]?.delta?.content ?? "";
      onContent(text);
    }
  }
}

describe.runIf(available)("stream resume under a global cap", () => {
  it("holds the continuation's backend to its cap across replicas", async () => {
    // Round robin sends the first stream to `cutter`, which drops it after one token; `steady` resumes it.
    const stream = await fetch(`${url(first)}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-switchyard-stream-resume": "true" },
      body: JSON.stringify({
        model: "mock-model",
        stream: true,
        messages: [{ role: "user", content: PROMPT }],
      }),
    });
    expect(stream.status).toBe(200);
    let resumed: () => void = () => {};
    const continuing = new Promise<void>((resolve) => {
      resumed = resolve;
    });
    let firstText: string | undefined;
    const reading = readStream(stream, (text) => {
      // The second chunk's text comes from the continuation: from here it holds steady's one slot.
      if (firstText === undefined) firstText = text;
      else if (text.length > firstText.length) resumed();
    });
    await continuing;
    // The other replica asks for steady while the continuation holds its slot: it must wait for it.
    const other = await fetch(`${url(second)}/v1/chat/completions?node=steady`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(other.status).toBe(200);
    const text = await reading;
    expect(text).toContain("[backend=cutter");
    const stats = (await getJson<{ max_inflight_seen: number }>(`${url(steady)}/mock/stats`)).body;
    expect(stats.max_inflight_seen).toBe(1);
    for (const replica of [first, second]) {
      expect((await getJson<{ total_inflight: number }>(`${url(replica)}/status`)).body.total_inflight).toBe(
        0,
      );
    }
  }, 60_000);
});
