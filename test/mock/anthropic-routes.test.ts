import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildMockApp } from "../../src/mock/app.js";
import type { MockOptionsInput } from "../../src/mock/options.js";
import { thoughtText } from "../../src/mock/script.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function mock(options: MockOptionsInput = {}): FastifyInstance {
  const app = buildMockApp({ id: "a", models: ["claude-mock"], logLevel: "silent", ...options });
  apps.push(app);
  return app;
}

function messages(app: FastifyInstance, extra: Record<string, unknown> = {}) {
  return app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { "x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01" },
    payload: {
      model: "claude-mock",
      max_tokens: 100,
      system: "be brief",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "hello" }] },
      ],
      ...extra,
    },
  });
}

/** Named SSE events of an Anthropic stream. */
function sseEvents(body: string): Array<{ event: string; data: Record<string, unknown> }> {
  return body
    .split("\n\n")
    .filter((frame) => frame.length > 0)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      return { event: eventLine!.replace("event: ", ""), data: JSON.parse(dataLine!.replace("data: ", "")) };
    });
}

describe("POST /v1/messages", () => {
  it("answers a message with the last user text, usage and end_turn", async () => {
    const response = await messages(mock());
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role: "assistant",
      model: "claude-mock",
      content: [{ type: "text", text: "[backend=a version=0] hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 3 },
    });
  });

  it("stops at max_tokens with stop_reason max_tokens", async () => {
    const body = (await messages(mock(), { max_tokens: 1 })).json();
    expect(body).toMatchObject({ content: [{ text: "[backend=a " }], stop_reason: "max_tokens" });
    expect(body.usage.output_tokens).toBe(1);
  });

  it("puts the thought in a thinking block when thinking is enabled", async () => {
    const app = mock({ reasoning: "think" });
    const body = (await messages(app, { thinking: { type: "enabled", budget_tokens: 1024 } })).json();
    expect(body.content).toEqual([
      { type: "thinking", thinking: thoughtText("hello"), signature: expect.any(String) },
      { type: "text", text: "[backend=a version=0] hello" },
    ]);
    const raw = (await messages(app)).json();
    expect(raw.content).toEqual([
      { type: "text", text: `<think>${thoughtText("hello")}</think>[backend=a version=0] hello` },
    ]);
  });

  it("streams Anthropic's exact event sequence, adding up to the JSON reply", async () => {
    const app = mock({ reasoning: "harmony" });
    const thinking = { thinking: { type: "enabled", budget_tokens: 1024 } };
    const json = (await messages(app, thinking)).json();
    const response = await messages(app, { ...thinking, stream: true });
    expect(response.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = sseEvents(response.body);
    for (const { event, data } of events) expect(data.type).toBe(event);

    const names = events.map((item) => item.event);
    const thinkingDeltas = json.content[0].thinking.match(/\S+\s*/g).length;
    const textDeltas = json.content[1].text.match(/\S+\s*/g).length;
    expect(names).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      ...Array(thinkingDeltas).fill("content_block_delta"),
      "content_block_delta", // signature_delta
      "content_block_stop",
      "content_block_start",
      ...Array(textDeltas).fill("content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[0]!.data.message).toMatchObject({
      content: [],
      stop_reason: null,
      usage: { input_tokens: 5 },
    });

    // Fold the stream back into a message, as an SDK would.
    const blocks: Array<Record<string, string>> = [];
    for (const { data } of events) {
      if (data.type === "content_block_start")
        blocks[data.index as number] = { ...(data.content_block as Record<string, string>) };
      if (data.type === "content_block_delta") {
        const block = blocks[data.index as number]!;
        const delta = data.delta as Record<string, string>;
        if (delta.type === "text_delta") block.text += delta.text!;
        if (delta.type === "thinking_delta") block.thinking += delta.thinking!;
        if (delta.type === "signature_delta") block.signature = delta.signature!;
      }
    }
    expect(blocks).toEqual(json.content);
    expect(events.at(-2)!.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: json.usage.output_tokens },
    });
  });

  it("streams a single text block without thinking", async () => {
    const events = sseEvents((await messages(mock(), { stream: true })).body);
    expect(events.slice(0, 3).map((item) => item.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
    ]);
    expect(events[1]!.data.content_block).toEqual({ type: "text", text: "" });
    const text = events
      .filter((item) => item.event === "content_block_delta")
      .map((item) => (item.data.delta as { text: string }).text)
      .join("");
    expect(text).toBe("[backend=a version=0] hello");
  });
});

describe("Anthropic errors", () => {
  const cases: Array<[string, number, string, Record<string, unknown>]> = [
    ["missing max_tokens", 400, "invalid_request_error", { max_tokens: undefined }],
    ["empty messages", 400, "invalid_request_error", { messages: [] }],
    ["bad role", 400, "invalid_request_error", { messages: [{ role: "robot", content: "x" }] }],
    ["content not text", 400, "invalid_request_error", { messages: [{ role: "user", content: 3 }] }],
    ["unknown model", 404, "not_found_error", { model: "claude-9" }],
  ];

  it.each(cases)("%s → %i %s", async (_, status, type, extra) => {
    const response = await messages(mock(), extra);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ type: "error", error: { type, message: expect.any(String) } });
  });

  it("answers malformed JSON in Anthropic's format", async () => {
    const response = await mock().inject({
      method: "POST",
      url: "/v1/messages",
      headers: { "content-type": "application/json" },
      payload: "{",
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("answers injected failures in Anthropic's format, with retry-after on 503", async () => {
    const response = await messages(mock({ failRate: 1, failStatus: 503 }));
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("1");
    expect(response.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
  });
});
