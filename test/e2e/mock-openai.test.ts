/**
 * `switchyard mock` as a real process, driven by the official OpenAI SDK; every response is checked
 * against OpenAI's OpenAPI schema.
 */
import { spawn } from "node:child_process";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatsSnapshot } from "../../src/mock/stats.js";
import { CLI_PATH, type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { validateOpenAI } from "../helpers/openapi.js";

let mock: CliProcess;
let url: string;
let client: OpenAI;

beforeAll(async () => {
  mock = await startCli([
    "mock",
    "--port",
    "0",
    "--version",
    "3",
    "--models",
    "mock-model,mock-embed",
    "--log-level",
    "silent",
  ]);
  url = mock.ready[0]!.url;
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test-1", maxRetries: 0 });
});

afterAll(stopAll);

const messages = [
  { role: "system" as const, content: "be brief" },
  { role: "user" as const, content: "hello world" },
];

describe("switchyard mock (OpenAI SDK)", () => {
  it("prints one READY line with its id and url, and `--version 3` reaches the mock", async () => {
    const port = new URL(url).port;
    expect(mock.ready).toEqual([{ role: "backend", id: `mock-${port}`, url: `http://127.0.0.1:${port}` }]);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({
      status: "ok",
      id: `mock-${port}`,
      version: "3",
      models: ["mock-model", "mock-embed"],
    });
  });

  it("answers chat completions", async () => {
    const completion = await client.chat.completions.create({ model: "mock-model", messages });
    validateOpenAI("CreateChatCompletionResponse", completion);
    const port = new URL(url).port;
    expect(completion.choices[0]!.message.content).toBe(`[backend=mock-${port} version=3] hello world`);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
  });

  it("streams chat completions with a final usage chunk", async () => {
    const reference = await client.chat.completions.create({ model: "mock-model", messages, max_tokens: 3 });
    const stream = await client.chat.completions.create({
      model: "mock-model",
      messages,
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    const chunks = [];
    for await (const chunk of stream) {
      validateOpenAI("CreateChatCompletionStreamResponse", chunk);
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(reference.choices[0]!.message.content);
    expect(finish).toBe("length");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: reference.usage });
  });

  it("answers and streams legacy completions", async () => {
    const completion = await client.completions.create({ model: "mock-model", prompt: "once upon a time" });
    validateOpenAI("CreateCompletionResponse", completion);
    const stream = await client.completions.create({
      model: "mock-model",
      prompt: "once upon a time",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe(completion.choices[0]!.text);
    expect(text).toMatch(/version=3\] once upon a time$/);
  });

  it("answers embeddings in base64 (the SDK's default) and float alike", async () => {
    const viaBase64 = await client.embeddings.create({ model: "mock-embed", input: ["alpha", "beta"] });
    const viaFloat = await client.embeddings.create({
      model: "mock-embed",
      input: ["alpha", "beta"],
      encoding_format: "float",
    });
    validateOpenAI("CreateEmbeddingResponse", viaFloat);
    expect(viaBase64.data.map((item) => item.embedding)).toEqual(viaFloat.data.map((item) => item.embedding));
    expect(viaFloat.data[0]!.embedding).toHaveLength(16);
    expect(viaFloat.data[0]!.embedding).not.toEqual(viaFloat.data[1]!.embedding);
    const small = await client.embeddings.create({ model: "mock-embed", input: "alpha", dimensions: 4 });
    expect(small.data[0]!.embedding).toHaveLength(4);
  });

  it("lists models", async () => {
    const page = await client.models.list();
    expect(page.data.map((model) => model.id)).toEqual(["mock-model", "mock-embed"]);
    validateOpenAI("ListModelsResponse", await (await fetch(`${url}/v1/models`)).json());
  });

  it("answers an unknown model with 404 model_not_found", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-9", messages })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.code).toBe("model_not_found");
    validateOpenAI("ErrorResponse", { error: error.error });
  });

  it("counts the API key the SDK sent", async () => {
    const stats = (await (await fetch(`${url}/mock/stats`)).json()) as StatsSnapshot;
    expect(stats.keys["sk-test-1"]).toBeGreaterThan(0);
  });
});

// Each test starts and stops its own process; running them side by side keeps the file fast.
describe.concurrent("switchyard mock process", () => {
  it.for(["SIGTERM", "SIGINT"] as const)("exits 0 on %s", async (signal, { expect }) => {
    const child = await startCli(["mock", "--port", "0"]);
    expect(await child.stop(signal)).toBe(0);
  });

  it("exits 0 on SIGTERM while still refusing connections", async ({ expect }) => {
    const args = [CLI_PATH, "mock", "--port", "0", "--refuse-for", "30", "--log-level", "info"];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      // The info line says the signal handlers are in place and the wait has begun.
      await new Promise<void>((resolve) => {
        child.stderr.on("data", (chunk: Buffer) => chunk.includes("refusing") && resolve());
      });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("prints READY only once listening after --refuse-for", async ({ expect }) => {
    const started = Date.now();
    const child = await startCli(["mock", "--port", "0", "--refuse-for", "0.3"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect((await fetch(`${child.ready[0]!.url}/health`)).status).toBe(200);
    await child.stop();
  });

  it("cuts a stream mid-way with --drop-rate 1, which the SDK reports", async ({ expect }) => {
    const child = await startCli(["mock", "--port", "0", "--drop-rate", "1"]);
    const dropping = new OpenAI({ baseURL: `${child.ready[0]!.url}/v1`, apiKey: "k", maxRetries: 0 });
    const stream = await dropping.chat.completions.create({ model: "mock-model", messages, stream: true });
    let text = "";
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(consume()).rejects.toThrow();
    expect(text).toMatch(/^\[backend=/);
    await child.stop();
  });
});
