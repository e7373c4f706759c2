/**
 * The official `openai` SDK (v6) reads what the Responses translators write: its `responses.stream`
 * helper accumulates our events into a final response (it throws on an event out of place), and
 * `responses.create` parses our JSON answer. The client gets a `fetch` that answers with the
 * translated body, as the gateway would send it.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { ResponsesToAnthropic } from "../../../src/protocol/translate/responses-to-anthropic.js";
import { ResponsesToChat } from "../../../src/protocol/translate/responses-to-chat.js";
import { convert, parseSse, readText } from "./helpers.js";
import { responsesOptions } from "./responses-helpers.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);

function client(body: string, contentType = "text/event-stream"): OpenAI {
  return new OpenAI({
    apiKey: "test",
    baseURL: "http://gateway.test/v1",
    maxRetries: 0,
    fetch: async () => new Response(body, { status: 200, headers: { "content-type": contentType } }),
  });
}

function translated(folder: string, name: string, request: Record<string, unknown>): string {
  const translator =
    folder === "responses-anthropic"
      ? new ResponsesToAnthropic(responsesOptions())
      : new ResponsesToChat(responsesOptions());
  expect(translator.request({ ...request, stream: true }).ok).toBe(true);
  const input = readText(new URL(`${folder}/streams/${name}.in.sse`, FIXTURES));
  return convert(translator.stream(), parseSse([input]));
}

const namespaced = {
  model: "qwen3",
  input: "Search the docs.",
  tools: [
    { type: "namespace", name: "mcp__docs", description: "", tools: [{ type: "function", name: "search" }] },
  ],
  include: ["reasoning.encrypted_content"],
};

describe("openai SDK reads the Responses bridge", () => {
  it("accumulates reasoning and a namespaced function call", async () => {
    const stream = client(translated("responses-client", "namespace-call", namespaced)).responses.stream({
      model: "qwen3",
      input: "Search the docs.",
    });
    const deltas: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    expect(response.status).toBe("completed");
    expect(response.output).toEqual([
      expect.objectContaining({
        type: "reasoning",
        content: [{ type: "reasoning_text", text: "The docs should say." }],
      }),
      expect.objectContaining({
        type: "function_call",
        name: "search",
        namespace: "mcp__docs",
        arguments: '{"query":"layout"}',
      }),
    ]);
    expect(deltas.join("")).toBe('{"query":"layout"}');
    expect(response.usage).toMatchObject({
      input_tokens: 120,
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 8 },
    });
  });

  it("accumulates text with multi-byte characters, and parallel tool calls", async () => {
    const text = await client(translated("responses-client", "text", { model: "m", input: "hi" }))
      .responses.stream({ model: "m", input: "hi" })
      .finalResponse();
    expect(text.output_text).toBe("Héllo, wörld 🌍!");
    const tools = await client(translated("responses-client", "tool-calls", { model: "m", input: "hi" }))
      .responses.stream({ model: "m", input: "hi" })
      .finalResponse();
    expect(tools.output.map((item) => (item.type === "function_call" ? item.arguments : item.type))).toEqual([
      '{"city": "Paris"}',
      '{"city": "Rome"}',
    ]);
  });

  it("accumulates an Anthropic backend's thinking and text, and a refusal", async () => {
    const thinking = await client(
      translated("responses-anthropic", "thinking", {
        model: "claude",
        input: "hi",
        include: ["reasoning.encrypted_content"],
      }),
    )
      .responses.stream({ model: "claude", input: "hi" })
      .finalResponse();
    expect(thinking.output_text).toBe("It is 4.");
    expect(thinking.output[0]).toMatchObject({ type: "reasoning", encrypted_content: expect.any(String) });
    const refusal = await client(translated("responses-client", "refusal", { model: "m", input: "hi" }))
      .responses.stream({ model: "m", input: "hi" })
      .finalResponse();
    expect(refusal.output[0]).toMatchObject({
      content: [
        { type: "output_text", text: "Well" },
        { type: "refusal", refusal: "I can't do that." },
      ],
    });
  });

  it("ends with the failed response when the backend breaks", async () => {
    const response = await client(translated("responses-client", "error", { model: "m", input: "hi" }))
      .responses.stream({ model: "m", input: "hi" })
      .finalResponse();
    expect(response).toMatchObject({
      status: "failed",
      error: { code: "server_error", message: "The server is overloaded." },
    });
  });

  it("parses a JSON answer", async () => {
    const translator = new ResponsesToChat(responsesOptions());
    translator.request({ model: "m", input: "hi", instructions: "Be brief." });
    const body = translator.response({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    });
    const response = await client(JSON.stringify(body), "application/json").responses.create({
      model: "m",
      input: "hi",
    });
    expect(response.output_text).toBe("Hello");
    expect(response.id).toBe("resp_gen1");
    expect(response.instructions).toBe("Be brief.");
  });
});
