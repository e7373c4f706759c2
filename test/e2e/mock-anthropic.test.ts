/** `switchyard mock` as a real process, driven by the official Anthropic SDK. */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatsSnapshot } from "../../src/mock/stats.js";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";

let mock: CliProcess;
let client: Anthropic;
let id: string;

beforeAll(async () => {
  mock = await startCli([
    "mock",
    "--port",
    "0",
    "--models",
    "claude-mock",
    "--reasoning",
    "think",
    "--log-level",
    "silent",
  ]);
  id = mock.ready[0]!.id;
  client = new Anthropic({ baseURL: mock.ready[0]!.url, apiKey: "sk-ant-test", maxRetries: 0 });
});

afterAll(stopAll);

const request = {
  model: "claude-mock",
  max_tokens: 256,
  system: "be brief",
  messages: [{ role: "user" as const, content: "hello there" }],
};

describe("switchyard mock (Anthropic SDK)", () => {
  it("answers messages, leaving inline reasoning in the text when thinking is off", async () => {
    const message = await client.messages.create(request);
    expect(message.content).toEqual([
      {
        type: "text",
        text: expect.stringMatching(
          new RegExp(`^<think>.+</think>\\[backend=${id} version=0\\] hello there$`),
        ),
      },
    ]);
    expect(message).toMatchObject({ role: "assistant", stop_reason: "end_turn", stop_sequence: null });
    expect(message.usage).toMatchObject({ input_tokens: 4 });
  });

  it("returns a thinking block when thinking is enabled", async () => {
    const message = await client.messages.create({
      ...request,
      thinking: { type: "enabled", budget_tokens: 1024 },
    });
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    expect(message.content[1]).toMatchObject({ text: `[backend=${id} version=0] hello there` });
  });

  it.each([
    ["without thinking", {}],
    ["with thinking", { thinking: { type: "enabled" as const, budget_tokens: 1024 } }],
  ])("streams messages %s into the same final message", async (_, extra) => {
    const reference = await client.messages.create({ ...request, ...extra });
    const stream = client.messages.stream({ ...request, ...extra });
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual(reference.content);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(reference.usage.output_tokens);
    expect(text).toBe(reference.content.find((block) => block.type === "text")!.text);
  });

  it("stops at max_tokens while streaming", async () => {
    const final = await client.messages.stream({ ...request, max_tokens: 2 }).finalMessage();
    expect(final.stop_reason).toBe("max_tokens");
    expect(final.usage.output_tokens).toBe(2);
  });

  it("answers an unknown model with a not_found_error", async () => {
    const error = await client.messages.create({ ...request, model: "claude-9" }).catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.status).toBe(404);
    expect(error.error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });

  it("answers a request without max_tokens with an invalid_request_error", async () => {
    const { max_tokens: _, ...incomplete } = request;
    const error = await client.messages
      .create(incomplete as unknown as typeof request)
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("counts the x-api-key the SDK sent", async () => {
    const stats = (await (await fetch(`${mock.ready[0]!.url}/mock/stats`)).json()) as StatsSnapshot;
    expect(stats.keys["sk-ant-test"]).toBeGreaterThan(0);
    expect(stats.requests.messages).toBeGreaterThan(0);
  });
});

describe("injected overload", () => {
  it("reports --fail-status 529 as an overloaded_error", async () => {
    const child = await startCli([
      "mock",
      "--port",
      "0",
      "--models",
      "claude-mock",
      "--fail-rate",
      "1",
      "--fail-status",
      "529",
    ]);
    const failing = new Anthropic({ baseURL: child.ready[0]!.url, apiKey: "k", maxRetries: 0 });
    const error = await failing.messages.create(request).catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(529);
    expect(error.error).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    await child.stop();
  });
});
