/**
 * Reasoning separation through the gateway: mock backends that emit `<think>` blocks and gpt-oss
 * harmony channels, read by the real `openai` SDK, streamed and not.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let client: OpenAI;
let config: ReturnType<typeof writeTempConfig>;
const THOUGHT = "The user wrote 1 word. I will echo them back.";

interface SeparatedMessage {
  content: string;
  reasoning_content?: string;
  thinking?: { analysis: string; commentary: string; raw: string };
  channels?: Record<string, string>;
}

beforeAll(async () => {
  const [thinker, harmony, raw] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "thinker", "--models", "qwen", "--reasoning", "think"]),
    startCli(["mock", "--port", "0", "--id", "harmony", "--models", "gpt-oss", "--reasoning", "harmony"]),
    startCli(["mock", "--port", "0", "--id", "always", "--models", "always-split", "--reasoning", "think"]),
  ]);
  config = writeTempConfig({
    backends: [
      { name: "thinker", url: thinker.ready[0]!.url, models: ["qwen"], model_type: "qwen3" },
      { name: "harmony", url: harmony.ready[0]!.url, models: ["gpt-oss"], model_type: "gpt-oss" },
      { name: "always", url: raw.ready[0]!.url, models: ["always-split"], separate_reasoning: true },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  client = new OpenAI({ baseURL: `${gateway.ready[0]!.url}/v1`, apiKey: "sk-test", maxRetries: 0 });
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

const hello = [{ role: "user" as const, content: "hello" }];

describe("reasoning separation in the gateway", () => {
  it("leaves responses untouched when nobody asked", async () => {
    const completion = await client.chat.completions.create({ model: "qwen", messages: hello });
    expect(completion.choices[0]!.message.content).toBe(
      `<think>${THOUGHT}</think>[backend=thinker version=0] hello`,
    );
  });

  it("separates <think> reasoning on request, with the Python model server's fields", async () => {
    const completion = await client.chat.completions.create({
      model: "qwen",
      messages: hello,
      // @ts-expect-error the Python model server's extension field
      separate_thinking: true,
    });
    validateOpenAI("CreateChatCompletionResponse", completion);
    const message = completion.choices[0]!.message as unknown as SeparatedMessage;
    expect(message.content).toBe("[backend=thinker version=0] hello");
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(message.thinking).toEqual({ analysis: THOUGHT, commentary: "", raw: `[Analysis]\n${THOUGHT}` });
    const usage = completion.usage as unknown as { thinking_tokens: number; completion_tokens: number };
    expect(usage.thinking_tokens).toBeGreaterThan(0);
    expect(usage.thinking_tokens).toBeLessThan(usage.completion_tokens);
  });

  it("streams reasoning as delta.reasoning_content and the answer as delta.content", async () => {
    const stream = await client.chat.completions.create({
      model: "qwen",
      messages: hello,
      stream: true,
      // @ts-expect-error the Python model server's extension field
      separate_thinking: true,
    });
    let content = "";
    let reasoning = "";
    for await (const chunk of stream) {
      validateOpenAI("CreateChatCompletionStreamResponse", chunk);
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      content += delta?.content ?? "";
      reasoning += delta?.reasoning_content ?? "";
    }
    expect(content).toBe("[backend=thinker version=0] hello");
    expect(reasoning).toBe(THOUGHT);
  });

  it("splits gpt-oss harmony channels and honours include_channels and reasoning", async () => {
    const response = await client.chat.completions
      .create({
        model: "gpt-oss",
        messages: hello,
        // @ts-expect-error the Python model server's extension fields
        separate_thinking: true,
        include_channels: ["final"],
        reasoning: "high",
      })
      .withResponse();
    const body = response.data as unknown as {
      reasoning_level: string;
      choices: { message: SeparatedMessage }[];
    };
    expect(body.reasoning_level).toBe("high");
    const message = body.choices[0]!.message;
    expect(message.content).toBe("[backend=harmony version=0] hello");
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(message.channels).toEqual({ final: "[backend=harmony version=0] hello" });
  });

  it("separates every response of a backend configured to", async () => {
    const completion = await client.chat.completions.create({ model: "always-split", messages: hello });
    const message = completion.choices[0]!.message as unknown as SeparatedMessage;
    expect(message.content).toBe("[backend=always version=0] hello");
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(message.thinking).toBeUndefined();
  });

  it("rejects bad reasoning fields with a 400 naming them", async () => {
    const failure = await client.chat.completions
      .create({
        model: "qwen",
        messages: hello,
        // @ts-expect-error the Python model server's extension field
        include_channels: ["nonsense"],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).param).toMatch(/include_channels/);
  });
});
