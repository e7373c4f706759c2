/**
 * `/tokenize` as three engines answer it, played by in-process upstreams: vLLM (chat messages,
 * `{count}`), llama.cpp (text only: `{tokens: []}` for messages, `{tokens}` for `content`), an engine
 * that refuses the chat body (text as `prompt`), and one without a tokenizer.
 */
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countWithTokenizer, tokenizePath } from "../../src/upstream/tokenize.js";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";

interface Seen {
  path: string | undefined;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

const seen: Record<string, Seen[]> = { vllm: [], llama: [], sglang: [], none: [] };
const upstreams: Record<string, FakeUpstream> = {};
const pools: Pool[] = [];

function json(response: import("node:http").ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

beforeAll(async () => {
  const record = (name: string, request: import("node:http").IncomingMessage, body: string) => {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    seen[name]!.push({ path: request.url, body: parsed, authorization: request.headers.authorization });
    return parsed;
  };
  upstreams.vllm = await startFakeUpstream((request, response, body) => {
    const parsed = record("vllm", request, body);
    json(response, 200, { count: Array.isArray(parsed.tools) ? 57 : 42, tokens: [], max_model_len: 8192 });
  });
  upstreams.llama = await startFakeUpstream((request, response, body) => {
    const parsed = record("llama", request, body);
    const content = typeof parsed.content === "string" ? parsed.content : "";
    json(response, 200, {
      tokens: content
        .split(" ")
        .filter(Boolean)
        .map((_, i) => i),
    });
  });
  upstreams.sglang = await startFakeUpstream((request, response, body) => {
    const parsed = record("sglang", request, body);
    if ("messages" in parsed) json(response, 422, { detail: "prompt: field required" });
    else json(response, 200, { tokens: [1, 2, 3], count: 3, max_model_len: 4096 });
  });
  upstreams.none = await startFakeUpstream((request, response, body) => {
    record("none", request, body);
    json(response, 404, { error: "Not Found" });
  });
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
});

function count(name: string, basePath = "", tools?: unknown[]) {
  const pool = new Pool(upstreams[name]!.url);
  pools.push(pool);
  return countWithTokenizer(
    pool,
    basePath,
    {
      model: "m",
      messages: [{ role: "user", content: "one two three four" }],
      tools,
      text: "one two three four",
      headers: { authorization: "Bearer sk-engine" },
    },
    5_000,
  );
}

describe("tokenizePath", () => {
  it("sits beside the OpenAI routes, not under /v1", () => {
    expect(tokenizePath("")).toBe("/tokenize");
    expect(tokenizePath("/v1")).toBe("/tokenize");
    expect(tokenizePath("/engine/v1")).toBe("/engine/tokenize");
    expect(tokenizePath("/engine")).toBe("/engine/tokenize");
  });
});

describe("countWithTokenizer", () => {
  it("reads vLLM's count for the chat messages, tools included", async () => {
    expect(await count("vllm", "/v1")).toBe(42);
    expect(await count("vllm", "", [{ type: "function", function: { name: "f" } }])).toBe(57);
    const [first, second] = seen.vllm!;
    expect(first).toMatchObject({
      path: "/tokenize",
      authorization: "Bearer sk-engine",
      body: {
        model: "m",
        messages: [{ role: "user", content: "one two three four" }],
        add_generation_prompt: true,
      },
    });
    expect(first!.body).not.toHaveProperty("tools");
    expect(second!.body.tools).toEqual([{ type: "function", function: { name: "f" } }]);
  });

  it("moves on to the text body when llama.cpp answers the chat body with no tokens", async () => {
    expect(await count("llama")).toBe(4);
    expect(seen.llama!.map((entry) => Object.keys(entry.body).sort())).toEqual([
      ["add_generation_prompt", "messages", "model"],
      ["content", "model", "prompt"],
    ]);
  });

  it("moves on to the text body when the chat body is refused", async () => {
    expect(await count("sglang")).toBe(3);
    expect(seen.sglang).toHaveLength(2);
  });

  it("is undefined, after one request, for an engine without /tokenize", async () => {
    expect(await count("none")).toBeUndefined();
    expect(seen.none).toHaveLength(1);
  });

  it("is undefined when nothing listens", async () => {
    const pool = new Pool("http://127.0.0.1:9");
    pools.push(pool);
    const request = { model: "m", messages: [], text: "", headers: {} };
    expect(await countWithTokenizer(pool, "", request, 2_000)).toBeUndefined();
  });
});
