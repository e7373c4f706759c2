/**
 * `switchyard cluster --config`: it starts a `serve` process on the generated tiny GGUF and a two-model router
 * `start_command`, waits for both, and the gateway in front routes to each — a real model behind
 * the gateway, end to end.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../fixtures/tiny-gguf.js";
import { CLI_PATH, startCli, stopAll } from "../helpers/cli-process.js";
import { freePort } from "../helpers/ports.js";
import { descendants, isAlive } from "../helpers/process-tree.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let config: ReturnType<typeof writeTempConfig>;

beforeAll(() => {
  ensureTinyModel();
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

describe("switchyard cluster --config", () => {
  it("starts serve and start_command backends, routes to both, and stops them all", async () => {
    const [servePort, commandPort] = [await freePort(), await freePort()];
    config = writeTempConfig({
      health_interval: 1,
      backends: [
        {
          name: "tiny",
          url: `http://127.0.0.1:${servePort}`,
          models: ["tiny"],
          model_type: "qwen3",
          serve: { model_path: ensureTinyModel(), threads: 1, max_concurrent: 1 },
        },
        {
          name: "cmd",
          url: `http://127.0.0.1:${commandPort}`,
          models: ["mock-model"],
          start_command: `"${process.execPath}" "${CLI_PATH}" mock --port ${commandPort} --id cmd`,
        },
      ],
    });
    const cluster = await startCli(["cluster", "--config", config.path, "--lb-port", "0", "--quiet"], {
      readyCount: 3,
      timeoutMs: 60_000,
    });
    expect(cluster.ready.map((line) => line.id)).toEqual(["tiny", "cmd", "gateway"]);
    const client = new OpenAI({ baseURL: `${cluster.ready[2]!.url}/v1`, apiKey: "sk-test", maxRetries: 0 });

    const fromModel = await client.chat.completions
      .create({ model: "tiny", messages: [{ role: "user", content: "Hello there" }], max_tokens: 16 })
      .withResponse();
    expect(fromModel.response.headers.get("x-routed-node")).toBe("tiny");
    expect(fromModel.data.choices[0]!.message.content).toBeTruthy();
    expect(fromModel.data.usage!.completion_tokens).toBeGreaterThan(0);

    const fromCommand = await client.chat.completions.create({
      model: "mock-model",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(fromCommand.choices[0]!.message.content).toBe("[backend=cmd version=0] hello");

    const pids = await descendants(cluster.child.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(await cluster.stop("SIGTERM")).toBe(0);
    for (let i = 0; i < 50 && pids.some(isAlive); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
