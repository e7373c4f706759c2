/**
 * The Responses API in front of chat-completions and Anthropic backends (the bridge), driven by the
 * real `openai` SDK and by raw requests: answers and every stream event validate against OpenAI's
 * published schemas, a `previous_response_id` chain continues on whichever backend answers, and the
 * stored responses can be read, listed and deleted.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson, postJson } from "../helpers/http.js";
import { expectOpenAISchema } from "../helpers/openapi.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let base: string;
let openai: OpenAI;
let chatKind: CliProcess;
let config: ReturnType<typeof writeTempConfig>;

beforeAll(async () => {
  let anthropicKind: CliProcess;
  let stickyOne: CliProcess;
  let stickyTwo: CliProcess;
  let thinker: CliProcess;
  [chatKind, anthropicKind, stickyOne, stickyTwo, thinker] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "oa", "--models", "oa-model", "--reasoning", "none"]),
    startCli(["mock", "--port", "0", "--id", "an", "--models", "claude-mock"]),
    startCli(["mock", "--port", "0", "--id", "s1", "--models", "sticky-model"]),
    startCli(["mock", "--port", "0", "--id", "s2", "--models", "sticky-model"]),
    startCli(["mock", "--port", "0", "--id", "th", "--models", "thinker", "--reasoning", "think"]),
  ]);
  config = writeTempConfig({
    strategy: "sticky",
    backends: [
      { name: "s1", url: stickyOne.ready[0]!.url, models: ["sticky-model"] },
      { name: "s2", url: stickyTwo.ready[0]!.url, models: ["sticky-model"] },
      { name: "th", url: thinker.ready[0]!.url, models: ["thinker"], model_type: "qwen3" },
      { name: "oa", url: chatKind.ready[0]!.url, models: ["oa-model"], kind: "openai" },
      { name: "an", url: anthropicKind.ready[0]!.url, models: ["claude-mock"], kind: "anthropic" },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  base = gateway.ready[0]!.url;
  openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-client", maxRetries: 0 });
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

interface StreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

/** The events of a streamed Responses answer, as raw SSE, parsed. */
async function streamEvents(
  body: Record<string, unknown>,
): Promise<{ names: string[]; events: StreamEvent[] }> {
  const response = await fetch(`${base}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-client" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const names: string[] = [];
  const events: StreamEvent[] = [];
  for (const frame of (await response.text()).split("\n\n")) {
    if (frame.trim() === "") continue;
    const name = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (name) names.push(name);
    if (data) events.push(JSON.parse(data) as StreamEvent);
  }
  return { names, events };
}

describe.each([
  { backend: "a chat-completions backend", model: "oa-model", id: "oa" },
  { backend: "an Anthropic backend", model: "claude-mock", id: "an" },
])("Responses clients on $backend", ({ model, id }) => {
  it("get a Response that OpenAI's schema accepts", async () => {
    const response = await openai.responses.create({ model, input: "hello", store: false });
    expectOpenAISchema("Response", JSON.parse(JSON.stringify(response)));
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe(`[backend=${id} version=0] hello`);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
  });

  it("stream the Responses event sequence, each event valid and numbered in order", async () => {
    const { names, events } = await streamEvents({ model, input: "hello", store: false });
    expect(events[0]!.type).toBe("response.created");
    expect(events.at(-1)!.type).toBe("response.completed");
    expect(names).toEqual(events.map((event) => event.type));
    for (const [index, event] of events.entries()) {
      expectOpenAISchema("ResponseStreamEvent", event);
      expect(event.sequence_number).toBe(index);
    }
    const text = events
      .filter((event) => event.type === "response.output_text.delta")
      .map((event) => event.delta)
      .join("");
    expect(text).toBe(`[backend=${id} version=0] hello`);
  });

  it("stream through the SDK's helper to the same final response", async () => {
    const stream = openai.responses.stream({ model, input: "hello", store: false });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(`[backend=${id} version=0] hello`);
  });
});

describe("reasoning", () => {
  it("of a <think> model comes as a reasoning item before the answer, never inside it", async () => {
    const response = await openai.responses.create({ model: "thinker", input: "hello", store: false });
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(response.output_text).toBe("[backend=th version=0] hello");
    const reasoning = response.output[0] as { content?: Array<{ text: string }> };
    expect(reasoning.content?.[0]?.text.length).toBeGreaterThan(0);
  });

  it("goes to a stateless client sealed, and comes back accepted; a tampered blob is ignored", async () => {
    const first = await openai.responses.create({
      model: "thinker",
      input: "hello",
      store: false,
      include: ["reasoning.encrypted_content"],
    });
    const reasoning = first.output[0] as { type: string; encrypted_content?: string };
    expect(reasoning.type).toBe("reasoning");
    expect(reasoning.encrypted_content).toMatch(/^[\w-]+$/);
    const tampered = { ...reasoning, encrypted_content: `${reasoning.encrypted_content!.slice(0, -2)}xx` };
    for (const item of [reasoning, tampered]) {
      const next = await openai.responses.create({
        model: "thinker",
        store: false,
        input: [
          { role: "user", content: "hello" },
          item as never,
          ...first.output.slice(1),
          { role: "user", content: "and again" },
        ] as never,
      });
      expect(next.output_text).toBe("[backend=th version=0] and again");
    }
  });
});

describe("a stored conversation", () => {
  it("continues with previous_response_id, and is read, listed and deleted", async () => {
    const first = await openai.responses.create({ model: "oa-model", input: "first question" });
    const second = await openai.responses.create({
      model: "oa-model",
      input: "second question",
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toBe("[backend=oa version=0] second question");

    const read = await openai.responses.retrieve(second.id);
    expect(read.id).toBe(second.id);
    expect(read.output_text).toBe(second.output_text);

    const items = await getJson<{ data: Array<{ id: string; type: string; role?: string }> }>(
      `${base}/v1/responses/${second.id}/input_items?order=asc`,
    );
    expect(items.status).toBe(200);
    // The first question, the first answer, then the second question.
    expect(items.body.data.map((item) => item.role)).toEqual(["user", "assistant", "user"]);
    expect(items.body.data.every((item) => typeof item.id === "string")).toBe(true);

    await openai.responses.delete(second.id);
    const gone = await getJson<{ error: { code: string } }>(`${base}/v1/responses/${second.id}`);
    expect(gone.status).toBe(404);
  });

  it("branches from an earlier response without seeing later turns", async () => {
    const root = await openai.responses.create({ model: "oa-model", input: "root" });
    await openai.responses.create({ model: "oa-model", input: "left", previous_response_id: root.id });
    const right = await openai.responses.create({
      model: "oa-model",
      input: "right",
      previous_response_id: root.id,
    });
    const items = await getJson<{ data: Array<{ role?: string }> }>(
      `${base}/v1/responses/${right.id}/input_items?order=asc`,
    );
    expect(items.body.data).toHaveLength(3);
  });

  it("sends every turn of a chain to the same backend under sticky routing", async () => {
    const nodes = new Set<string | null>();
    let previous: string | undefined;
    for (let turn = 0; turn < 6; turn++) {
      const answer = await postJson<{ id: string }>(`${base}/v1/responses`, {
        model: "sticky-model",
        input: `turn ${turn}`,
        ...(previous ? { previous_response_id: previous } : {}),
      });
      expect(answer.status).toBe(200);
      nodes.add(answer.headers.get("x-routed-node"));
      previous = answer.body.id;
    }
    expect(nodes.size).toBe(1);
  });

  it("keeps nothing with store: false", async () => {
    const response = await openai.responses.create({ model: "oa-model", input: "hello", store: false });
    const read = await getJson(`${base}/v1/responses/${response.id}`);
    expect(read.status).toBe(404);
  });
});

describe("client mistakes", () => {
  it("an unknown previous_response_id is a 404 naming the parameter", async () => {
    const answer = await postJson<{ error: { param: string; type: string } }>(`${base}/v1/responses`, {
      model: "oa-model",
      input: "hello",
      previous_response_id: "resp_unknown",
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error.param).toBe("previous_response_id");
    expectOpenAISchema("ErrorResponse", answer.body);
  });

  it("a malformed input is a 400 naming the parameter", async () => {
    const answer = await postJson<{ error: { param: string } }>(`${base}/v1/responses`, {
      model: "oa-model",
      input: 42,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.param).toBe("input");
  });

  it("a request without input is a 400", async () => {
    const answer = await postJson<{ error: { param: string } }>(`${base}/v1/responses`, {
      model: "oa-model",
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.param).toBe("input");
  });
});
