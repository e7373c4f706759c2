import { describe, expect, it } from "vitest";
import { parseLength } from "../../src/bench/llm/lengths.js";
import { parsePrompts } from "../../src/bench/llm/prompts-file.js";
import { apiPath, chatRequest } from "../../src/bench/llm/request-body.js";
import { Workload } from "../../src/bench/llm/workload.js";

function body(spec: { body?: string | Uint8Array }): Record<string, unknown> {
  return JSON.parse(String(spec.body)) as Record<string, unknown>;
}

describe("chatRequest", () => {
  it("builds an OpenAI streaming chat request that asks for usage", () => {
    const spec = chatRequest({
      protocol: "openai",
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      maxTokens: 32,
      stream: true,
      apiKey: "sk-1",
    });
    expect(spec).toMatchObject({ method: "POST", path: "/v1/chat/completions", stream: true });
    expect(spec.headers).toMatchObject({ authorization: "Bearer sk-1", accept: "text/event-stream" });
    expect(body(spec)).toEqual({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 32,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("builds an Anthropic messages request with the system text lifted out", () => {
    const spec = chatRequest({
      protocol: "anthropic",
      model: "claude",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      maxTokens: 16,
      stream: false,
      apiKey: "key",
    });
    expect(spec.path).toBe("/v1/messages");
    expect(spec.headers).toMatchObject({ "x-api-key": "key", "anthropic-version": "2023-06-01" });
    expect(spec.headers).not.toHaveProperty("authorization");
    expect(body(spec)).toEqual({
      model: "claude",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
      stream: false,
      system: "be brief",
    });
  });

  it("builds a Responses request with system text as instructions and store: false", () => {
    const spec = chatRequest({
      protocol: "responses",
      model: "gpt-x",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      maxTokens: 24,
      stream: true,
      apiKey: "sk-2",
      basePath: "/openai",
    });
    expect(spec).toMatchObject({ method: "POST", path: "/openai/v1/responses", stream: true });
    expect(spec.headers).toMatchObject({ authorization: "Bearer sk-2", accept: "text/event-stream" });
    expect(spec.headers).not.toHaveProperty("anthropic-version");
    expect(body(spec)).toEqual({
      model: "gpt-x",
      input: [{ role: "user", content: "hi" }],
      max_output_tokens: 24,
      stream: true,
      store: false,
      instructions: "be brief",
    });
  });

  it("keeps a base path without doubling /v1", () => {
    expect(apiPath("", "/v1/messages")).toBe("/v1/messages");
    expect(apiPath("/openai/", "/v1/chat/completions")).toBe("/openai/v1/chat/completions");
    expect(apiPath("/api/v1", "/v1/chat/completions")).toBe("/api/v1/chat/completions");
  });
});

describe("parsePrompts", () => {
  it("reads strings, {prompt} and {messages} lines with optional lengths", () => {
    const entries = parsePrompts(
      [
        '"plain"',
        "",
        '{"prompt": "p", "max_tokens": 12}',
        '{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], "output_tokens": 5}',
      ].join("\n"),
    );
    expect(entries).toEqual([
      { messages: [{ role: "user", content: "plain" }] },
      { messages: [{ role: "user", content: "p" }], maxTokens: 12 },
      {
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "u" },
        ],
        maxTokens: 5,
      },
    ]);
  });

  it("names the bad line", () => {
    expect(() => parsePrompts('"ok"\n{oops')).toThrow(/line 2/);
    expect(() => parsePrompts('{"nothing": 1}')).toThrow(/line 1/);
    expect(() => parsePrompts("\n\n")).toThrow(/no prompts/);
  });
});

describe("Workload", () => {
  const spec = {
    protocol: "openai" as const,
    stream: true,
    models: [
      { model: "a", share: 0.5 },
      { model: "b", share: 0.5 },
    ],
    promptTokens: parseLength("10-20"),
    outputTokens: parseLength("50-500"),
    maxTokens: 100,
    seed: 42,
  };

  it("alternates models by share, caps max_tokens and hands the same plan out twice", () => {
    const workload = new Workload(spec);
    const first = workload.at(0);
    expect(workload.at(0)).toBe(first);
    const plans = [first, ...Array.from({ length: 9 }, (_, i) => workload.at(i + 1))];
    expect(plans.filter((plan) => plan.model === "a")).toHaveLength(5);
    for (const plan of plans) {
      expect(plan.maxTokens).toBeGreaterThanOrEqual(50);
      expect(plan.maxTokens).toBeLessThanOrEqual(100);
      const sent = body(plan.spec);
      expect(sent.model).toBe(plan.model);
      expect(sent.max_tokens).toBe(plan.maxTokens);
      const words = String((sent.messages as { content: string }[])[0]!.content).split(" ");
      expect(words.length).toBeGreaterThanOrEqual(10);
      expect(words.length).toBeLessThanOrEqual(20);
    }
  });

  it("is repeatable for a seed and draws from the prompt file when given one", () => {
    const a = new Workload(spec);
    const b = new Workload(spec);
    expect(a.at(0).spec.body).toEqual(b.at(0).spec.body);
    const withPrompts = new Workload({
      ...spec,
      prompts: parsePrompts('{"prompt": "fixed", "max_tokens": 7}'),
    });
    const plan = withPrompts.at(0);
    expect(plan.maxTokens).toBe(7);
    expect(body(plan.spec).messages).toEqual([{ role: "user", content: "fixed" }]);
  });
});
