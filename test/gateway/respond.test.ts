/**
 * respond(), the one way an upstream answer reaches the client: which shape it takes (bytes, pump,
 * JSON) for which translator and layers. A real HTTP server on port 0 stands for the client side; the
 * upstream answer is an in-process stream.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type RespondOptions, respond } from "../../src/gateway/respond.js";
import { createAnthropicToOpenAI } from "../../src/protocol/translate/anthropic-to-openai.js";
import { createPassthrough } from "../../src/protocol/translate/passthrough.js";

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

type Answer = { status: number; contentType: string; body: string };

/** Serves one request with `respond` over the given upstream answer; returns what the client read. */
async function answer(
  upstream: { status?: number; contentType: string; body: string },
  options: Partial<RespondOptions> = {},
): Promise<Answer> {
  server = createServer((_request, raw) => {
    // undici's body is a Readable with the fetch-style readers the JSON paths use.
    const body = Object.assign(Readable.from([Buffer.from(upstream.body)]), {
      text: async () => upstream.body,
      arrayBuffer: async () => new TextEncoder().encode(upstream.body).buffer,
    });
    const response = {
      statusCode: upstream.status ?? 200,
      headers: { "content-type": upstream.contentType },
      body,
    } as unknown as Dispatcher.ResponseData;
    void respond({
      raw,
      response,
      headers: {},
      translator: createPassthrough("openai", "/v1/chat/completions"),
      ...options,
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const reply = await fetch(`http://127.0.0.1:${port}/`, { method: "POST" });
  return {
    status: reply.status,
    contentType: reply.headers.get("content-type") ?? "",
    body: await reply.text(),
  };
}

const chunk = (content: string) =>
  `data: {"id":"c","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;

describe("respond", () => {
  it("pipes a passthrough event stream as bytes, unparsed (comments and all)", async () => {
    const body = `: keep-alive\n\n${chunk("hi")}data: [DONE]\n\n`;
    const { body: read } = await answer({ contentType: "text/event-stream", body });
    expect(read).toBe(body);
  });

  it("parses the stream when a layer must read it (reasoning separation)", async () => {
    const body = `: keep-alive\n\n${chunk("<think>hm</think>Yes")}data: [DONE]\n\n`;
    const { body: read } = await answer(
      { contentType: "text/event-stream", body },
      { separation: { modelType: "qwen3" } },
    );
    expect(read).not.toContain("keep-alive");
    expect(read).toContain('"reasoning_content":"hm"');
    expect(read.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("splices _routing into a passthrough JSON answer without re-serialising it", async () => {
    const body = '{ "id": "c",  "choices": [] }';
    const { body: read } = await answer(
      { contentType: "application/json", body },
      { routing: Buffer.from('{"backend":"b"}') },
    );
    expect(read).toBe('{ "id": "c",  "choices": [] ,"_routing":{"backend":"b"}}');
  });

  it("gives an Anthropic client the backend's refusal as an Anthropic error", async () => {
    const { status, body } = await answer(
      {
        status: 400,
        contentType: "application/json",
        body: '{"error":{"message":"too long","type":"invalid_request_error"}}',
      },
      { translator: createAnthropicToOpenAI() },
    );
    expect(status).toBe(400);
    expect(JSON.parse(body)).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "too long" },
    });
  });

  it("translates an OpenAI event stream for an Anthropic client", async () => {
    const translator = createAnthropicToOpenAI();
    translator.request({ model: "m", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    const { contentType, body } = await answer(
      { contentType: "text/event-stream", body: `${chunk("hi")}data: [DONE]\n\n` },
      { translator },
    );
    expect(contentType).toContain("text/event-stream");
    expect(body).toContain("event: message_start");
    expect(body).toContain('"text":"hi"');
    expect(body.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true);
  });
});
