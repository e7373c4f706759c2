/**
 * `--native-apis`: a mock standing in for an OpenAI-kind engine that serves Anthropic Messages (and,
 * once wired, the Responses API) itself, with answers a test can tell apart by `x-mock-native`.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildMockApp } from "../../src/mock/app.js";
import type { MockOptionsInput } from "../../src/mock/options.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function mock(options: MockOptionsInput = {}): FastifyInstance {
  const app = buildMockApp({ id: "a", models: ["mock-model"], logLevel: "silent", ...options });
  apps.push(app);
  return app;
}

const message = {
  model: "mock-model",
  max_tokens: 50,
  messages: [{ role: "user", content: "hello" }],
};

function post(app: FastifyInstance, url: string, payload: Record<string, unknown>) {
  return app.inject({ method: "POST", url, payload });
}

describe("--native-apis messages", () => {
  it("marks /v1/messages answers, JSON, streamed and errors, and count_tokens", async () => {
    const app = mock({ nativeApis: ["messages"] });
    const json = await post(app, "/v1/messages", message);
    expect(json.statusCode).toBe(200);
    expect(json.headers["x-mock-native"]).toBe("messages");
    expect(json.json().content[0]).toEqual({ type: "text", text: "[backend=a version=0] hello" });
    const stream = await post(app, "/v1/messages?beta=true", { ...message, stream: true });
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(stream.headers["x-mock-native"]).toBe("messages");
    expect(stream.body).toContain("event: message_stop");
    const invalid = await post(app, "/v1/messages", { model: "mock-model" });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers["x-mock-native"]).toBe("messages");
    const counted = await post(app, "/v1/messages/count_tokens", {
      model: "mock-model",
      messages: message.messages,
    });
    expect(counted.headers["x-mock-native"]).toBe("messages");
  });

  it("leaves chat unmarked, so a bridged request is told apart", async () => {
    const app = mock({ nativeApis: ["messages"] });
    const chat = await post(app, "/v1/chat/completions", {
      model: "mock-model",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(chat.statusCode).toBe(200);
    expect(chat.headers["x-mock-native"]).toBeUndefined();
  });

  it("without the flag, Messages is still served (an Anthropic-kind mock), unmarked", async () => {
    const response = await post(mock(), "/v1/messages", message);
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-mock-native"]).toBeUndefined();
  });
});

describe("--native-apis responses", () => {
  it("answers /v1/responses with a Response from the chat reply's plan, marked native", async () => {
    const response = await post(mock({ nativeApis: ["responses"] }), "/v1/responses", {
      model: "mock-model",
      input: "hello",
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-mock-native"]).toBe("responses");
    expect(response.json()).toMatchObject({ object: "response", status: "completed" });
  });

  it("refuses a Responses request it cannot read in OpenAI's shape, naming the parameter", async () => {
    const response = await post(mock({ nativeApis: ["responses"] }), "/v1/responses", {
      model: "mock-model",
      input: [{ type: "item_reference", id: "msg_1" }],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { param: expect.stringContaining("input") } });
  });

  it("is absent (404) without the flag, as on a chat-only engine", async () => {
    const response = await post(mock(), "/v1/responses", { model: "mock-model", input: "hello" });
    expect(response.statusCode).toBe(404);
  });
});
