/**
 * `POST /tokenize` on a real `switchyard serve` with the tiny generated model (gpt-oss type: the
 * harmony template writes the reasoning effort into the prompt). The counts must be the `prompt_tokens`
 * the chat and completion routes report for the same input, since a gateway counts Claude Code's
 * `count_tokens` with it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startTinyServe } from "../fixtures/serve-process.js";
import { stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";

let serve: ServeProcess;

beforeAll(async () => {
  serve = await startTinyServe(["--model-type", "gpt-oss", "--context-size", "512"]);
});

afterAll(stopAll);

interface Tokenized {
  count: number;
  max_model_len: number;
  tokens: number[];
}

interface Usage {
  usage: { prompt_tokens: number };
}

const messages = [
  { role: "system", content: "be brief" },
  { role: "user", content: "Hello there" },
];

describe("switchyard serve: POST /tokenize", () => {
  it.each(["low", "high"])(
    "counts messages through the chat template, as the chat's prompt_tokens (effort %s)",
    async (effort) => {
      const tokenized = await postJson<Tokenized>(`${serve.url}/tokenize`, {
        model: "tiny",
        messages,
        reasoning_effort: effort,
      });
      expect(tokenized.status).toBe(200);
      expect(tokenized.body.max_model_len).toBe(512);
      expect(tokenized.body.tokens).toHaveLength(tokenized.body.count);
      const chat = await postJson<Usage>(`${serve.url}/v1/chat/completions`, {
        model: "tiny",
        messages,
        reasoning_effort: effort,
        max_tokens: 1,
      });
      expect(chat.status).toBe(200);
      expect(tokenized.body.count).toBe(chat.body.usage.prompt_tokens);
    },
  );

  it("renders the effort into the prompt: high has one byte more than low", async () => {
    const count = async (effort: string) =>
      (await postJson<Tokenized>(`${serve.url}/tokenize`, { messages, reasoning_effort: effort })).body.count;
    expect((await count("high")) - (await count("low"))).toBe(1);
  });

  it("counts a prompt as the completion's prompt_tokens, and content the same way (llama.cpp)", async () => {
    const prompt = "<|start|>user<|message|>hi";
    const vllm = await postJson<Tokenized>(`${serve.url}/tokenize`, { model: "tiny", prompt });
    const completion = await postJson<Usage>(`${serve.url}/v1/completions`, {
      model: "tiny",
      prompt,
      max_tokens: 1,
    });
    expect(vllm.body.count).toBe(completion.body.usage.prompt_tokens);
    // Special tokens are parsed, a token each, not spelled out byte by byte.
    expect(vllm.body.count).toBeLessThan(prompt.length / 2);
    const llama = await postJson<{ tokens: number[] }>(`${serve.url}/tokenize`, { content: prompt });
    expect(llama.body).toEqual({ tokens: vllm.body.tokens });
  });

  it("answers 400 in OpenAI's shape for a body with no prompt, messages or content", async () => {
    const response = await postJson(`${serve.url}/tokenize`, { model: "tiny" });
    expect(response.status).toBe(400);
    validateOpenAI("ErrorResponse", response.body);
    expect(response.body).toMatchObject({ error: { type: "invalid_request_error", param: "prompt" } });
  });
});
