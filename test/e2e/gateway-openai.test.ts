/**
 * The gateway end to end with the real `openai` SDK: two real mock processes behind a real gateway
 * process; every response shape validated against the official OpenAPI schemas.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { validateOpenAI } from "../helpers/openapi.js";

let gateway: CliProcess;
let client: OpenAI;
let gatewayUrl: string;

beforeAll(async () => {
  const mocks = await Promise.all(
    ["alpha", "beta"].map((id) =>
      startCli(["mock", "--port", "0", "--id", id, "--models", "mock-model,other-model"]),
    ),
  );
  gateway = await startCli([
    "gateway",
    "--port",
    "0",
    "--log-level",
    "warn",
    ...mocks.flatMap((mock) => ["--backend", `${mock.ready[0]!.id}=${mock.ready[0]!.url}`]),
  ]);
  gatewayUrl = gateway.ready[0]!.url;
  client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: "sk-test", maxRetries: 0 });
});

afterAll(stopAll);

describe("gateway with the openai SDK", () => {
  it("answers chat completions from both backends in turn", async () => {
    const replies = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const { data, response } = await client.chat.completions
        .create({ model: "mock-model", messages: [{ role: "user", content: "hello" }] })
        .withResponse();
      validateOpenAI("CreateChatCompletionResponse", data);
      expect(response.headers.get("x-selected-model")).toBe("mock-model");
      expect(["alpha", "beta"]).toContain(response.headers.get("x-routed-node"));
      replies.add(data.choices[0]!.message.content!);
    }
    expect(replies).toEqual(new Set(["[backend=alpha version=0] hello", "[backend=beta version=0] hello"]));
  });

  it("streams chat completions chunk by chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "mock-model",
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      validateOpenAI("CreateChatCompletionStreamResponse", chunk);
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toMatch(/^\[backend=(alpha|beta) version=0\] stream me please$/);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("answers text completions, streamed and not", async () => {
    const completion = await client.completions.create({ model: "other-model", prompt: "say this" });
    validateOpenAI("CreateCompletionResponse", completion);
    expect(completion.choices[0]!.text).toMatch(/\] say this$/);
    const stream = await client.completions.create({
      model: "other-model",
      prompt: "and this",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toMatch(/\] and this$/);
  });

  it("answers embeddings in base64 (the SDK's default) and as floats", async () => {
    const viaSdk = await client.embeddings.create({ model: "mock-model", input: ["one", "two"] });
    expect(viaSdk.data).toHaveLength(2);
    expect(viaSdk.data[0]!.embedding.length).toBeGreaterThan(0);
    const response = await fetch(`${gatewayUrl}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-model", input: "one", encoding_format: "float" }),
    });
    const body = (await response.json()) as OpenAI.CreateEmbeddingResponse;
    validateOpenAI("CreateEmbeddingResponse", body);
    expect(body.data[0]!.embedding).toEqual(viaSdk.data[0]!.embedding);
  });

  it("lists the union of the backends' models once each", async () => {
    const models = await client.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids.sort()).toEqual(["mock-model", "other-model"]);
    const raw = await (await fetch(`${gatewayUrl}/v1/models`)).json();
    validateOpenAI("ListModelsResponse", raw);
    expect((await client.models.retrieve("other-model")).id).toBe("other-model");
  });

  it("surfaces gateway errors as the SDK's typed errors", async () => {
    const failure = await client.chat.completions
      .create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("reports every backend healthy and nothing in flight afterwards", async () => {
    const health = await (await fetch(`${gatewayUrl}/health`)).json();
    expect(health).toMatchObject({ status: "healthy", backends: { total: 2, healthy: 2 } });
    const status = (await (await fetch(`${gatewayUrl}/status`)).json()) as {
      total_inflight: number;
      backends: { name: string }[];
    };
    expect(status.total_inflight).toBe(0);
    expect(status.backends.map((backend) => backend.name)).toEqual(["alpha", "beta"]);
  });
});
