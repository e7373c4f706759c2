/**
 * serve's reasoning extensions in front of a supervised engine (`serve --engine vllm`, a stand-in on
 * PATH that writes its reasoning inline, as an engine without a reasoning parser does): a request with
 * the extension fields gets the in-process answer shape — `reasoning_content`, `thinking`, `channels`,
 * the usage fields, reasoning deltas in streams — for `<think>` and harmony answers; the engine never
 * sees the extension fields; a request without them is relayed unchanged.
 */
import { rmSync } from "node:fs";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServe } from "../../src/serve/running-serve.js";
import { startServe } from "../../src/serve/server.js";
import { installStandInEngine } from "../fixtures/stand-in-engine.js";

const ROOT = fileURLToPath(new URL("../.tmp/external-reasoning/", import.meta.url));
const originalPath = process.env.PATH;
let serve: RunningServe;

beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  process.env.PATH = `${installStandInEngine(ROOT)}${delimiter}${originalPath ?? ""}`;
  serve = await startServe({
    modelPath: "/models/some-checkpoint",
    modelName: "m",
    engine: "vllm",
    port: 0,
    logLevel: "silent",
  });
  await serve.ready;
});
afterAll(async () => {
  await serve?.close();
  process.env.PATH = originalPath;
  rmSync(ROOT, { recursive: true, force: true });
});

// Response bodies are read loosely: the assertions check their shape.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

const ask = (content: string, fields: object = {}) => ({
  model: "m",
  messages: [{ role: "user", content }],
  ...fields,
});

async function chat(body: object): Promise<Json> {
  const response = await fetch(`${serve.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

interface StreamedChat {
  reasoning: string;
  content: string;
  text: string;
  chunks: Json[];
}

async function streamChat(body: object): Promise<StreamedChat> {
  const response = await fetch(`${serve.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const text = await response.text();
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  const chunks = text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => JSON.parse(frame.slice(6)) as Json);
  let reasoning = "";
  let content = "";
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      // A delta carries reasoning or answer, never both.
      expect(choice.delta.reasoning_content === undefined || choice.delta.content === undefined).toBe(true);
      reasoning += choice.delta.reasoning_content ?? "";
      content += choice.delta.content ?? "";
    }
  }
  return { reasoning, content, text, chunks };
}

describe("serve --engine: reasoning separation in front of the engine", () => {
  it("separates a <think> answer, with the fields sent on as reasoning_effort and a developer message", async () => {
    const body = await chat(
      ask("think", { separate_thinking: true, reasoning: "medium", developer_instructions: "Be brief." }),
    );
    expect(body.status).toBe(200);
    expect(JSON.parse(body.system_fingerprint)).toEqual({ effort: "medium", developer: "Be brief." });
    expect(body.reasoning_level).toBe("medium");
    expect(body.choices[0].message).toEqual({
      role: "assistant",
      content: "Paris.",
      reasoning_content: "Let me see.",
      thinking: { analysis: "Let me see.", commentary: "", raw: "[Analysis]\nLet me see." },
      channels: { analysis: "Let me see.", commentary: "", final: "Paris." },
    });
    const { channel_tokens: tokens, thinking_tokens: thinking } = body.usage;
    expect(tokens.analysis + tokens.commentary + tokens.final).toBe(20);
    expect(thinking).toBe(tokens.analysis);
    expect(body.usage.completion_tokens_details.reasoning_tokens).toBe(thinking);
  });

  it("streams a <think> answer as reasoning and answer deltas", async () => {
    const streamed = await streamChat(ask("think", { separate_thinking: true }));
    expect(streamed.text).not.toContain("think>");
    expect(streamed.reasoning).toBe("Let me see.");
    expect(streamed.content).toBe("Paris.");
    const usage = streamed.chunks.at(-1)!.usage;
    expect(usage.thinking_tokens).toBeGreaterThan(0);
    expect(usage.channel_tokens.final).toBeGreaterThan(0);
    expect(streamed.chunks.filter((chunk) => chunk.choices[0]?.finish_reason === "stop")).toHaveLength(1);
  });

  it("keeps the stream streaming: reasoning arrives while the engine is still writing", async () => {
    const response = await fetch(`${serve.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask("think", { separate_thinking: true, stream: true, hold: true })),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // The stand-in sent "<think>Let me se" and holds the rest until the next /tokenize.
    while (!text.includes('"reasoning_content":"e se"')) {
      const chunk = await reader.read();
      expect(chunk.done).toBe(false);
      text += decoder.decode(chunk.value, { stream: true });
    }
    expect(text).not.toContain("Paris");
    await fetch(`${serve.url}/tokenize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", prompt: "x" }),
    });
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value, { stream: true });
    }
    expect(text).toContain('"content":"Pa"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("separates harmony channels, keeping the channels asked for", async () => {
    const body = await chat(
      ask("harmony", { separate_thinking: true, include_channels: ["final", "analysis"] }),
    );
    expect(body.choices[0].message).toMatchObject({
      content: "Paris.",
      reasoning_content: "Hmm.\nChecking.",
      thinking: { analysis: "Hmm.", commentary: "Checking." },
      channels: { analysis: "Hmm.", final: "Paris." },
    });
    expect(body.choices[0].message.channels).not.toHaveProperty("commentary");
    expect(body.usage.channel_tokens.commentary).toBeGreaterThan(0);

    const streamed = await streamChat(ask("harmony", { include_channels: ["final"] }));
    expect(streamed.text).not.toContain("<|");
    expect(streamed.reasoning).toBe("Hmm.\nChecking.");
    expect(streamed.content).toBe("Paris.");
  });

  it("gives an answer the engine split itself the same extension fields", async () => {
    const body = await chat(ask("Hello", { separate_thinking: true }));
    expect(body.choices[0].message).toEqual({
      role: "assistant",
      content: "Hi.",
      reasoning_content: "Ok",
      thinking: { analysis: "Ok", commentary: "", raw: "[Analysis]\nOk" },
      channels: { analysis: "Ok", commentary: "", final: "Hi." },
    });
  });

  it("relays a request without the fields unchanged", async () => {
    const body = await chat(ask("think"));
    expect(body.choices[0].message).toEqual({
      role: "assistant",
      content: "<think>Let me see.</think>Paris.",
    });
    expect(body.usage).toEqual({ prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 });
    const streamed = await streamChat(ask("harmony", { reasoning_effort: "low" }));
    expect(streamed.reasoning).toBe("");
    expect(streamed.content).toContain("<|channel|>analysis<|message|>Hmm.");
  });

  it("relays the engine's own error unchanged", async () => {
    const body = await chat({ ...ask("think", { separate_thinking: true }), model: "other" });
    expect(body).toEqual({ status: 404, error: { message: "no such model" } });
  });

  it("answers a bad extension field with a 400 naming it", async () => {
    const body = await chat(ask("think", { separate_thinking: "yes" }));
    expect(body.status).toBe(400);
    expect(body.error).toMatchObject({ param: "separate_thinking", type: "invalid_request_error" });
  });
});
