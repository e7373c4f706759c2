/**
 * The model-server workflow's thinking fields through the gateway when the backend splits the reasoning
 * itself (`reasoning_content`, as vLLM's and SGLang's reasoning parsers and `switchyard serve` return
 * it): in front of a mock with `--reasoning split`, and in front of a real `switchyard serve` process on
 * the tiny generated model, whose direct answer is the reference shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasoningWorkflowBody, type SeparatedBody } from "../fixtures/reasoning-request.js";
import { type ServeProcess, startTinyServe } from "../fixtures/serve-process.js";
import { TINY_MODEL } from "../fixtures/tiny-gguf.js";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { writeTempConfig } from "../helpers/temp-config.js";

interface StreamResult {
  content: string;
  reasoning: string;
  usage: SeparatedBody["usage"] | undefined;
  chunks: Record<string, unknown>[];
}

async function streamSeed(url: string, body: Record<string, unknown>): Promise<StreamResult> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
  expect(data.at(-1)).toBe("[DONE]");
  const chunks = data.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
  let content = "";
  let reasoning = "";
  for (const chunk of chunks) {
    validateOpenAI("CreateChatCompletionStreamResponse", chunk);
    for (const choice of chunk.choices as { delta: { content?: string; reasoning_content?: string } }[]) {
      content += choice.delta.content ?? "";
      reasoning += choice.delta.reasoning_content ?? "";
    }
  }
  const usage = chunks.at(-1)?.usage as SeparatedBody["usage"] | undefined;
  return { content, reasoning, usage, chunks };
}

/** The keys of a JSON value, recursively: what "the same shape" means. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value !== "object" || value === null) return typeof value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [key, shapeOf(inner)]),
  );
}

let gatewayUrl: string;
let serve: ServeProcess;
let config: ReturnType<typeof writeTempConfig> | undefined;
const THOUGHT = "The user wrote 7 words. I will echo them back.";
const MOCK_ANSWER = "[backend=split version=0] What is the capital of the US?";

beforeAll(async () => {
  const [mock, tiny] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "split", "--models", "split-model", "--reasoning", "split"]),
    startTinyServe(),
  ]);
  serve = tiny;
  config = writeTempConfig({
    backends: [
      { name: "split", url: mock.ready[0]!.url, models: ["split-model"], model_type: "qwen3" },
      { name: "serve", url: serve.url, models: ["tiny"], model_type: "generic" },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  gatewayUrl = gateway.ready[0]!.url;
}, 30_000);

afterAll(async () => {
  await stopAll();
  config?.remove();
});

describe("gateway in front of a backend that returns reasoning_content (the seed workflow's request)", () => {
  it("answers JSON with thinking, channels, reasoning_level and the usage fields", async () => {
    const response = await postJson<SeparatedBody>(
      `${gatewayUrl}/v1/chat/completions`,
      reasoningWorkflowBody("split-model"),
    );
    expect(response.status).toBe(200);
    validateOpenAI("CreateChatCompletionResponse", response.body);
    expect(response.body.reasoning_level).toBe("medium");
    const { message } = response.body.choices[0]!;
    expect(message.content).toBe(MOCK_ANSWER);
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(message.thinking).toEqual({ analysis: THOUGHT, commentary: "", raw: `[Analysis]\n${THOUGHT}` });
    expect(message.channels).toEqual({ analysis: THOUGHT, commentary: "", final: MOCK_ANSWER });
    const { usage } = response.body;
    const channels = usage.channel_tokens!;
    expect(channels.commentary).toBe(0);
    expect(channels.analysis).toBeGreaterThan(0);
    expect(channels.analysis + channels.final).toBe(usage.completion_tokens);
    expect(usage.thinking_tokens).toBe(channels.analysis);
  });

  it("streams reasoning_content deltas and ends with the usage fields", async () => {
    const { content, reasoning, usage } = await streamSeed(gatewayUrl, reasoningWorkflowBody("split-model"));
    expect(content).toBe(MOCK_ANSWER);
    expect(reasoning).toBe(THOUGHT);
    expect(usage?.thinking_tokens).toBeGreaterThan(0);
    expect(usage?.channel_tokens).toMatchObject({ commentary: 0, analysis: usage?.thinking_tokens });
  });

  it("adds nothing the client did not ask for", async () => {
    const response = await postJson<SeparatedBody>(`${gatewayUrl}/v1/chat/completions`, {
      model: "split-model",
      messages: [{ role: "user", content: "hello" }],
    });
    const { message } = response.body.choices[0]!;
    expect(message.reasoning_content).toBe("The user wrote 1 word. I will echo them back.");
    expect(message.thinking).toBeUndefined();
    expect(response.body.usage.channel_tokens).toBeUndefined();
  });
});

describe("gateway in front of switchyard serve (the seed workflow's request)", () => {
  it("answers JSON in the shape serve gives directly", async () => {
    const [direct, through] = await Promise.all([
      postJson<SeparatedBody>(`${serve.url}/v1/chat/completions`, reasoningWorkflowBody("tiny")),
      postJson<SeparatedBody>(`${gatewayUrl}/v1/chat/completions`, reasoningWorkflowBody("tiny")),
    ]);
    expect(direct.status).toBe(200);
    expect(through.status).toBe(200);
    validateOpenAI("CreateChatCompletionResponse", through.body);
    const {
      id: _directId,
      created: _directCreated,
      ...directBody
    } = direct.body as unknown as Record<string, unknown>;
    // The gateway adds the workflow's `_routing` (which backend answered) to what serve said.
    const {
      id: _id,
      created: _created,
      _routing,
      ...throughBody
    } = through.body as unknown as Record<string, unknown>;
    expect(_routing).toEqual({ backend: "serve", model_type: "generic" });
    expect(shapeOf(throughBody)).toEqual(shapeOf(directBody));
    expect(through.body.reasoning_level).toBe("medium");
    const message = through.body.choices[0]!.message;
    expect(message).toEqual(direct.body.choices[0]!.message);
    expect(message.content).toBe(TINY_MODEL.answer);
    expect(message.thinking).toEqual({
      analysis: TINY_MODEL.thought,
      commentary: "",
      raw: `[Analysis]\n${TINY_MODEL.thought}`,
    });
    // serve counted the reasoning tokens; the gateway keeps its count, the answer gets the rest.
    expect(through.body.usage.thinking_tokens).toBe(direct.body.usage.thinking_tokens);
    expect(through.body.usage.channel_tokens).toEqual({
      analysis: direct.body.usage.channel_tokens!.analysis,
      commentary: 0,
      final: through.body.usage.completion_tokens - direct.body.usage.thinking_tokens!,
    });
  });

  it("streams in the shape serve gives directly", async () => {
    const [direct, through] = await Promise.all([
      streamSeed(serve.url, reasoningWorkflowBody("tiny")),
      streamSeed(gatewayUrl, reasoningWorkflowBody("tiny")),
    ]);
    expect(through.content).toBe(TINY_MODEL.answer);
    expect(through.reasoning).toBe(TINY_MODEL.thought);
    expect(direct.content).toBe(through.content);
    expect(direct.reasoning).toBe(through.reasoning);
    expect(shapeOf(through.usage)).toEqual(shapeOf(direct.usage));
    expect(through.usage?.thinking_tokens).toBe(direct.usage?.thinking_tokens);
  });
});
