import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { HostedModels, type ListModels } from "../../src/gateway/hosted-models.js";
import { Registry } from "../../src/routing/registry.js";
import type { GetResult } from "../../src/upstream/get.js";

const listing = (...ids: string[]): GetResult => ({
  status: 200,
  text: JSON.stringify({ object: "list", data: ids.map((id) => ({ id, object: "model" })) }),
});

interface Call {
  backend: string;
  path: string;
  headers: Record<string, string>;
}

function setup(answer: (call: Call) => GetResult | Promise<GetResult>) {
  const registry = new Registry();
  registry.add(
    "openai-1",
    backendSchema.parse({
      url: "http://127.0.0.1:1/v1",
      api_keys: ["sk-one", "sk-two"],
      model_patterns: ["gpt-*"],
      health_path: "",
    }),
  );
  registry.add(
    "anthropic-1",
    backendSchema.parse({
      url: "http://127.0.0.1:2/v1",
      kind: "anthropic",
      api_keys: ["sk-ant"],
      model_patterns: ["claude-*"],
      health_path: "",
    }),
  );
  registry.add("local", backendSchema.parse({ url: "http://127.0.0.1:3", models: ["llama"] }));
  const calls: Call[] = [];
  const clock = { now: 0 };
  const list: ListModels = async (backend, path, headers) => {
    const call = { backend: backend.id, path, headers };
    calls.push(call);
    return answer(call);
  };
  const hosted = new HostedModels(registry, list, {
    timeoutMs: 100,
    ttlMs: 1_000,
    retryMs: 100,
    now: () => clock.now,
  });
  return { registry, hosted, calls, clock };
}

describe("HostedModels", () => {
  it("asks each hosted service with a pool key in its own spelling, keeping the ids it would be routed", async () => {
    const { registry, hosted, calls } = setup((call) =>
      call.backend === "openai-1" ? listing("gpt-4o", "whisper-1", "gpt-4o-mini") : listing("claude-3-haiku"),
    );
    expect(await hosted.models()).toEqual(["gpt-4o", "gpt-4o-mini", "claude-3-haiku"]);
    expect(calls).toEqual([
      { backend: "openai-1", path: "/v1/models", headers: { authorization: "Bearer sk-one" } },
      {
        backend: "anthropic-1",
        path: "/v1/models?limit=1000",
        headers: { "x-api-key": "sk-ant", "anthropic-version": expect.any(String) },
      },
    ]);
    // The listing takes nothing from client traffic's rotation or counts.
    const pool = registry.get("openai-1")!.keyPool!;
    expect(pool.next()).toBe("sk-one");
    expect(pool.views().map((view) => view.requests)).toEqual([1, 0]);
  });

  it("answers from its cache until the TTL passes, then asks again once for concurrent readers", async () => {
    let models = ["gpt-4o"];
    const { hosted, calls, clock } = setup((call) =>
      call.backend === "openai-1" ? listing(...models) : listing("claude-3-haiku"),
    );
    await hosted.models();
    clock.now = 999;
    expect(await hosted.models()).toContain("gpt-4o");
    expect(calls).toHaveLength(2);
    models = ["gpt-5"];
    clock.now = 1_000;
    const [first, second] = await Promise.all([hosted.models(), hosted.models()]);
    expect(first).toEqual(["gpt-5", "claude-3-haiku"]);
    expect(second).toEqual(first);
    expect(calls).toHaveLength(4);
  });

  it("falls back to the service's patterns, or its last answer, when it cannot be asked", async () => {
    let down = true;
    const { hosted, calls, clock } = setup((call) => {
      if (down) throw new Error("connect ECONNREFUSED");
      return call.backend === "openai-1" ? listing("gpt-4o") : listing("claude-3-haiku");
    });
    expect(await hosted.models()).toEqual(["gpt-*", "claude-*"]);
    clock.now = 100;
    down = false;
    expect(await hosted.models()).toEqual(["gpt-4o", "claude-3-haiku"]);
    clock.now = 2_000;
    down = true;
    expect(await hosted.models()).toEqual(["gpt-4o", "claude-3-haiku"]);
    expect(calls).toHaveLength(6);
  });

  it("tries the pool's next key when one is refused", async () => {
    const { registry, hosted, calls } = setup((call) => {
      if (call.headers.authorization === "Bearer sk-one") return { status: 401, text: "{}" };
      return call.backend === "openai-1" ? listing("gpt-4o") : { status: 500, text: "" };
    });
    expect(await hosted.models()).toEqual(["gpt-4o", "claude-*"]);
    const openaiKeys = calls
      .filter((call) => call.backend === "openai-1")
      .map((call) => call.headers.authorization);
    expect(openaiKeys).toEqual(["Bearer sk-one", "Bearer sk-two"]);
    expect(
      registry
        .get("openai-1")!
        .keyPool!.views()
        .every((view) => !view.disabled),
    ).toBe(true);
  });
});
