/**
 * The failover contract on the Responses API: a backend that fails before the first byte is
 * retried on another one, unseen by the client; one that breaks mid-stream ends the client's stream
 * with `response.failed` (nothing after it) and is counted against that backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { getJson, postJson } from "../helpers/http.js";
import { expectOpenAISchema } from "../helpers/openapi.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let base: string;
let config: ReturnType<typeof writeTempConfig>;

beforeAll(async () => {
  const mock = (id: string, model: string, ...faults: string[]) =>
    startCli(["mock", "--port", "0", "--id", id, "--models", model, ...faults]);
  const [failing, healthy, dropping] = await Promise.all([
    mock("failing", "shared-model", "--fail-rate", "1"),
    mock("healthy", "shared-model"),
    mock("dropping", "dropped-model", "--drop-rate", "1"),
  ]);
  config = writeTempConfig({
    strategy: "round_robin",
    backends: [
      { name: "failing", url: failing.ready[0]!.url, models: ["shared-model"], health_path: "" },
      { name: "healthy", url: healthy.ready[0]!.url, models: ["shared-model"], health_path: "" },
      { name: "dropping", url: dropping.ready[0]!.url, models: ["dropped-model"], health_path: "" },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  base = gateway.ready[0]!.url;
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

async function streamedEvents(model: string): Promise<Array<{ type: string; [field: string]: unknown }>> {
  const response = await fetch(`${base}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, input: "hello", stream: true, store: false }),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  return text
    .split("\n\n")
    .map((frame) => /^data: (.*)$/m.exec(frame)?.[1])
    .filter((data): data is string => data !== undefined)
    .map((data) => JSON.parse(data));
}

describe("Responses clients when a backend fails", () => {
  it("never see a failure before the first byte: the request moves to a healthy backend", async () => {
    for (let i = 0; i < 4; i++) {
      const answer = await postJson<{ output: unknown[] }>(`${base}/v1/responses`, {
        model: "shared-model",
        input: "hello",
        store: false,
      });
      expect(answer.status).toBe(200);
      const streamed = await streamedEvents("shared-model");
      expect(streamed.at(-1)!.type).toBe("response.completed");
    }
  });

  it("get response.failed, last and valid, when the backend breaks mid-stream", async () => {
    const events = await streamedEvents("dropped-model");
    const last = events.at(-1)!;
    expect(last.type).toBe("response.failed");
    expectOpenAISchema("ResponseStreamEvent", last);
    expect((last.response as { error: { message: string } }).error.message).toMatch(/mid-stream/);
    const status = await getJson<{ backends: Array<{ name: string; failures: number }> }>(`${base}/status`);
    const dropping = status.body.backends.find((backend) => backend.name === "dropping")!;
    expect(dropping.failures).toBeGreaterThan(0);
  });
});
