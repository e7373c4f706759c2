/**
 * Anthropic's Messages API as Claude Code uses it, through the built gateway: `role: "system"`
 * entries among the messages, `?beta=true`, `anthropic-*` headers and the `system` array passed as
 * they are, Anthropic backends' errors byte for byte, `count_tokens` on every kind of backend,
 * `HEAD /`, the model list in Anthropic's shape, and `output_config.format` reaching an OpenAI
 * backend. Backends are the mock (a process) and in-process fake upstreams that record what they
 * were sent: an Anthropic API, an engine with `/tokenize` and one without.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";
import { getJson, postJson } from "../helpers/http.js";
import { writeTempConfig } from "../helpers/temp-config.js";

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

const received: Record<"anthropic" | "tokenizer" | "plain", Received[]> = {
  anthropic: [],
  tokenizer: [],
  plain: [],
};
const fakes: FakeUpstream[] = [];
let config: ReturnType<typeof writeTempConfig>;
let base: string;
let anthropic: Anthropic;

/** What an Anthropic backend says when it refuses a request; odd spacing on purpose. */
const REFUSAL =
  '{"type":"error",  "error":{"type":"invalid_request_error","message":"thinking.type: adaptive is not supported on this model"},"request_id":"req_011CTest"}';

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** Health probes (GET) are answered and not recorded. */
function probed(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method !== "GET") return false;
  json(response, 200, { object: "list", data: [] });
  return true;
}

function anthropicApi(request: IncomingMessage, response: ServerResponse, body: string): void {
  if (probed(request, response)) return;
  received.anthropic.push({ method: request.method, url: request.url, headers: request.headers, body });
  if (request.url === "/v1/messages/count_tokens") json(response, 200, { input_tokens: 1234 });
  else if (request.url !== "/v1/messages") json(response, 404, { type: "error" });
  else if ((JSON.parse(body) as { thinking?: unknown }).thinking) json(response, 400, REFUSAL);
  else {
    json(response, 200, {
      id: "msg_fake",
      type: "message",
      role: "assistant",
      model: "claude-fake",
      content: [{ type: "text", text: "from the Anthropic API" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 4 },
    });
  }
}

function engine(name: "tokenizer" | "plain") {
  return (request: IncomingMessage, response: ServerResponse, body: string): void => {
    if (probed(request, response)) return;
    received[name].push({ method: request.method, url: request.url, headers: request.headers, body });
    if (request.url === "/v1/chat/completions") chatCompletion(response, '{"city":"Paris"}');
    else if (request.url === "/tokenize" && name === "tokenizer") {
      json(response, 200, { count: 321, tokens: [], max_model_len: 32768 });
    } else json(response, 404, { detail: "Not Found" });
  };
}

beforeAll(async () => {
  const [mock, thinker] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "mk", "--models", "mock-oa,mock-an"]),
    startCli(["mock", "--port", "0", "--id", "th", "--models", "thinker", "--reasoning", "think"]),
  ]);
  fakes.push(
    await startFakeUpstream(anthropicApi),
    await startFakeUpstream(engine("tokenizer")),
    await startFakeUpstream(engine("plain")),
  );
  const [api, tokenizer, plain] = fakes.map((fake) => fake.url);
  const mockUrl = mock.ready[0]!.url;
  config = writeTempConfig({
    health_interval: 0,
    backends: [
      { name: "mock-oa", url: mockUrl, models: ["mock-oa"], kind: "openai" },
      { name: "mock-an", url: mockUrl, models: ["mock-an"], kind: "anthropic" },
      { name: "th", url: thinker.ready[0]!.url, models: ["thinker"], kind: "openai", model_type: "qwen3" },
      { name: "api", url: api, models: ["claude-fake"], kind: "anthropic" },
      { name: "tokenizer", url: `${tokenizer}/v1`, models: ["engine-tok"], kind: "openai" },
      { name: "plain", url: plain, models: ["engine-plain"], kind: "openai" },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  base = gateway.ready[0]!.url;
  anthropic = new Anthropic({ baseURL: base, apiKey: "sk-ant-client", maxRetries: 0 });
});

afterAll(async () => {
  await stopAll();
  await Promise.all(fakes.map((fake) => fake.close()));
  config?.remove();
});

function last(name: keyof typeof received, url: string): Received {
  const found = received[name].filter((entry) => entry.url === url).at(-1);
  if (!found) throw new Error(`${name} received nothing at ${url}`);
  return found;
}

const withSystem: Anthropic.MessageParam[] = [
  { role: "user", content: "hello" },
  { role: "system", content: "Answer in one line." },
  { role: "assistant", content: "Hi." },
  { role: "user", content: "hello again" },
];

describe("system entries inside messages", () => {
  it.each(["mock-oa", "mock-an"])("are accepted on the way to %s, through the beta route", async (model) => {
    const message = await anthropic.beta.messages.create({
      model,
      max_tokens: 64,
      messages: withSystem as Anthropic.Beta.BetaMessageParam[],
      betas: ["mid-conversation-system-clear-at-2026-08-21"],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "[backend=mk version=0] hello again" });
  });

  it("reach an Anthropic backend as sent: the system array, the messages, every anthropic-* header", async () => {
    const system = [
      { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.0" },
      { type: "text" as const, text: "You are Claude Code.", cache_control: { type: "ephemeral" as const } },
    ];
    const body = { model: "claude-fake", max_tokens: 32, system, messages: withSystem, unknown_field: 1 };
    const response = await fetch(`${base}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "sk-ant-client",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "mid-conversation-system-clear-at-2026-08-21,context-1m-2025-08-07",
        "anthropic-something-new": "yes",
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ content: [{ text: "from the Anthropic API" }] });
    const sent = last("anthropic", "/v1/messages");
    expect(sent.body).toBe(JSON.stringify(body));
    expect(sent.headers).toMatchObject({
      "x-api-key": "sk-ant-client",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "mid-conversation-system-clear-at-2026-08-21,context-1m-2025-08-07",
      "anthropic-something-new": "yes",
    });
  });

  it("become system messages in place for an OpenAI backend, which gets no anthropic-* header", async () => {
    await anthropic.beta.messages.create({
      model: "engine-plain",
      max_tokens: 32,
      system: "Be brief.",
      messages: withSystem as Anthropic.Beta.BetaMessageParam[],
      betas: ["mid-conversation-system-clear-at-2026-08-21"],
    });
    const sent = last("plain", "/v1/chat/completions");
    expect(JSON.parse(sent.body).messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "system",
      "assistant",
      "user",
    ]);
    expect(Object.keys(sent.headers).filter((name) => name.startsWith("anthropic-"))).toEqual([]);
    expect(sent.headers.authorization).toBe("Bearer sk-ant-client");
  });
});

describe("translation to an OpenAI backend", () => {
  it("carries output_config.format as response_format json_schema", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    };
    const message = await anthropic.messages.create({
      model: "engine-plain",
      max_tokens: 64,
      messages: [{ role: "user", content: "A city?" }],
      output_config: { format: { type: "json_schema", schema } },
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: '{"city":"Paris"}' });
    const sent = JSON.parse(last("plain", "/v1/chat/completions").body);
    expect(sent.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "structured_output", schema, strict: true },
    });
  });
});

describe("adaptive thinking", () => {
  it("gets a <think> model's reasoning as a thinking block, as enabled thinking does", async () => {
    const message = await anthropic.messages.create({
      model: "thinker",
      max_tokens: 2048,
      thinking: { type: "adaptive" },
      output_config: { effort: "high" },
      messages: [{ role: "user", content: "hello" }],
    });
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    expect(message.content[1]).toMatchObject({ text: "[backend=th version=0] hello" });
  });
});

describe("errors from an Anthropic backend", () => {
  it("reach the client byte for byte", async () => {
    const response = await fetch(`${base}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "claude-fake",
        max_tokens: 16,
        thinking: { type: "adaptive" },
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(REFUSAL);
  });
});

describe("POST /v1/messages/count_tokens", () => {
  const messages = [{ role: "user" as const, content: "How many tokens is this sentence?" }];

  it("is an Anthropic backend's own count, with the client's headers", async () => {
    const counted = await anthropic.messages.countTokens(
      { model: "claude-fake", messages, system: "Be brief." },
      { headers: { "anthropic-beta": "token-counting-2024-11-01" } },
    );
    expect(counted.input_tokens).toBe(1234);
    const sent = last("anthropic", "/v1/messages/count_tokens");
    expect(JSON.parse(sent.body)).toEqual({ model: "claude-fake", messages, system: "Be brief." });
    expect(sent.headers["anthropic-beta"]).toBe("token-counting-2024-11-01");
    // The SDK's own version, whichever it is this release, arrives as it was sent.
    expect(sent.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("is counted by an engine's /tokenize, over the translated messages and tools, also with ?beta=true", async () => {
    const tools = [{ name: "Bash", description: "Run", input_schema: { type: "object" as const } }];
    const answer = await postJson<{ input_tokens: number }>(
      `${base}/v1/messages/count_tokens?beta=true`,
      { model: "engine-tok", system: "Be brief.", messages: withSystem, tools },
      { "x-api-key": "sk-ant-client", "anthropic-version": "2023-06-01", "anthropic-beta": "x-2026-01-01" },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ input_tokens: 321 });
    expect(answer.headers.get("x-switchyard-token-count")).toBe("tokenizer");
    expect(answer.headers.get("x-routed-node")).toBe("tokenizer");
    const sent = last("tokenizer", "/tokenize");
    const body = JSON.parse(sent.body);
    expect(body.model).toBe("engine-tok");
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "system",
      "assistant",
      "user",
    ]);
    expect(body.tools).toEqual([
      { type: "function", function: { name: "Bash", description: "Run", parameters: { type: "object" } } },
    ]);
    expect(sent.headers.authorization).toBe("Bearer sk-ant-client");
  });

  it("is an estimate, flagged, for an engine without a tokenizer", async () => {
    const answer = await postJson<{ input_tokens: number }>(
      `${base}/v1/messages/count_tokens`,
      { model: "engine-plain", messages },
      { "anthropic-version": "2023-06-01" },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-switchyard-token-count")).toBe("estimate");
    expect(answer.body.input_tokens).toBeGreaterThan(0);
  });

  it("answers for a model served by the mock, whatever the mock offers", async () => {
    for (const model of ["mock-oa", "mock-an"]) {
      const counted = await anthropic.messages.countTokens({ model, messages });
      expect(counted.input_tokens).toBeGreaterThan(0);
    }
  });

  it("is an Anthropic 404 naming an unknown model, and a 400 for a request without messages", async () => {
    const unknown = await anthropic.messages
      .countTokens({ model: "no-such-model", messages })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    const error = (unknown as InstanceType<typeof Anthropic.NotFoundError>).error as {
      error: { type: string; message: string };
    };
    expect(error.error.type).toBe("not_found_error");
    expect(error.error.message).toContain("no-such-model");
    const invalid = await postJson(`${base}/v1/messages/count_tokens`, { model: "engine-plain" });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("discovery", () => {
  it("HEAD / answers 200", async () => {
    const response = await fetch(`${base}/`, { method: "HEAD" });
    expect(response.status).toBe(200);
  });

  it("lists models in Anthropic's shape, page by page, for a client that sends anthropic-version", async () => {
    const first = await anthropic.models.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.data[0]).toMatchObject({ type: "model", display_name: first.data[0]!.id });
    expect(new Date(first.data[0]!.created_at).toISOString()).toBe(first.data[0]!.created_at);
    const ids: string[] = [];
    for await (const model of anthropic.models.list({ limit: 2 })) ids.push(model.id);
    expect(ids.sort()).toEqual([
      "claude-fake",
      "engine-plain",
      "engine-tok",
      "mock-an",
      "mock-oa",
      "thinker",
    ]);
    const before = await getJson<{ data: { id: string }[]; first_id: string }>(
      `${base}/v1/models?limit=1&before_id=${encodeURIComponent(first.data[1]!.id)}`,
      { headers: { "anthropic-version": "2023-06-01" } },
    );
    expect(before.body.data.map((model) => model.id)).toEqual([first.data[0]!.id]);
    const model = await anthropic.models.retrieve("engine-tok");
    expect(model).toMatchObject({ type: "model", id: "engine-tok" });
    const missing = await anthropic.models.retrieve("no-such-model").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    const bad = await getJson(`${base}/v1/models?limit=0`, {
      headers: { "anthropic-version": "2023-06-01" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("keeps the OpenAI shape without anthropic-version", async () => {
    const list = await getJson<{ object: string; data: { object: string }[] }>(`${base}/v1/models`);
    expect(list.body.object).toBe("list");
    expect(list.body.data[0]!.object).toBe("model");
  });
});
