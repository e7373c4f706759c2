/**
 * A request that cannot fit the context is a client error, never a 500: a real `switchyard serve` on the
 * tiny generated model with a 512-token context, asked with the seed workflow's own body (gpt-oss model
 * type, `max_tokens: 1000`). A request that fits on paper but fills the context while generating (the
 * harmony template re-opens a message after each `<|end|>`, so it uses more context than it generates)
 * ends with `finish_reason: "length"`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasoningWorkflowBody } from "../fixtures/reasoning-request.js";
import { type ServeProcess, startTinyServe } from "../fixtures/serve-process.js";
import { stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";

const CONTEXT = 512;
let serve: ServeProcess;

beforeAll(async () => {
  serve = await startTinyServe(["--model-type", "gpt-oss", "--context-size", String(CONTEXT)]);
});

afterAll(stopAll);

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

interface CompletionBody {
  choices: { finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

/** The prompt's size as serve counts it: from an answer that surely fits. */
async function promptTokens(): Promise<number> {
  const response = await postJson<CompletionBody>(
    `${serve.url}/v1/chat/completions`,
    reasoningWorkflowBody("tiny", { max_tokens: 1 }),
  );
  expect(response.status).toBe(200);
  return response.body.usage.prompt_tokens;
}

async function postStream(body: unknown): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${serve.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

describe("switchyard serve: the seed workflow's body on a small context", () => {
  it("answers 400 context_length_exceeded naming the limits when max_tokens cannot fit", async () => {
    const prompt = await promptTokens();
    expect(prompt).toBeLessThan(CONTEXT);
    const response = await postJson<ErrorBody>(
      `${serve.url}/v1/chat/completions`,
      reasoningWorkflowBody("tiny"),
    );
    expect(response.status).toBe(400);
    validateOpenAI("ErrorResponse", response.body);
    expect(response.body.error).toMatchObject({
      type: "invalid_request_error",
      param: "max_tokens",
      code: "context_length_exceeded",
    });
    expect(response.body.error.message).toContain(`maximum context length is ${CONTEXT} tokens`);
    expect(response.body.error.message).toContain(`${prompt} in the messages, 1000 in the completion`);
    expect(response.body.error.message).toContain(`at most ${CONTEXT - prompt}`);
  });

  it("answers the same 400 before a stream starts", async () => {
    const { status, type, text } = await postStream(reasoningWorkflowBody("tiny", { stream: true }));
    expect(status).toBe(400);
    expect(type).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toMatchObject({
      error: { code: "context_length_exceeded", param: "max_tokens" },
    });
  });

  it("blames the messages when they alone overflow", async () => {
    const long = "word ".repeat(CONTEXT);
    const response = await postJson<ErrorBody>(
      `${serve.url}/v1/chat/completions`,
      reasoningWorkflowBody("tiny", { messages: [{ role: "user", content: long }] }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ param: "messages", code: "context_length_exceeded" });
  });

  it("ends a generation that fills the context with finish_reason length, JSON and streamed", async () => {
    const prompt = await promptTokens();
    for (const maxTokens of [CONTEXT - prompt, undefined]) {
      const body = reasoningWorkflowBody("tiny", { max_tokens: maxTokens });
      const response = await postJson<CompletionBody>(`${serve.url}/v1/chat/completions`, body);
      expect(response.status).toBe(200);
      expect(response.body.choices[0]!.finish_reason).toBe("length");
      const streamed = await postStream({ ...body, stream: true });
      expect(streamed.status).toBe(200);
      expect(streamed.text).toContain('"finish_reason":"length"');
      expect(streamed.text).not.toContain('"error"');
      expect(streamed.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    }
    // The sequence is still good for the next request.
    const after = await postJson<CompletionBody>(
      `${serve.url}/v1/chat/completions`,
      reasoningWorkflowBody("tiny", { max_tokens: 5 }),
    );
    expect(after.status).toBe(200);
  });
});
