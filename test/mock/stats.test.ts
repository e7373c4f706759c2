import { describe, expect, it } from "vitest";
import { apiKeyOf, MockStats } from "../../src/mock/stats.js";

describe("MockStats", () => {
  it("counts routes, keys and failures", () => {
    const stats = new MockStats();
    stats.record("chat", "m", false, "k1", 1);
    stats.record("chat", "m", true, "k2", 2);
    stats.record("models", null, false, "k1", 3);
    stats.recordFailure();
    const snapshot = stats.snapshot("a", "0");
    expect(snapshot.requests).toEqual({
      total: 3,
      chat: 2,
      completions: 0,
      embeddings: 0,
      messages: 0,
      responses: 0,
      count_tokens: 0,
      tokenize: 0,
      models: 1,
      failed: 1,
    });
    expect(snapshot.keys).toEqual({ k1: 2, k2: 1 });
    expect(snapshot.recent[1]).toEqual({ route: "chat", model: "m", stream: true, key: "k2", at: 2 });
  });

  it("keeps the last 100 requests, oldest first", () => {
    const stats = new MockStats();
    for (let at = 0; at < 250; at++) stats.record("chat", null, false, null, at);
    const recent = stats.snapshot("a", "0").recent;
    expect(recent).toHaveLength(100);
    expect(recent[0]!.at).toBe(150);
    expect(recent[99]!.at).toBe(249);
  });

  it("ends each in-flight request exactly once and tracks the high-water mark", () => {
    const stats = new MockStats();
    const end1 = stats.begin();
    const end2 = stats.begin();
    end1();
    end1();
    expect(stats.inflight).toBe(1);
    end2();
    expect(stats.snapshot("a", "0")).toMatchObject({ inflight: 0, max_inflight_seen: 2 });
    stats.reset();
    expect(stats.snapshot("a", "0")).toMatchObject({ inflight: 0, max_inflight_seen: 0, recent: [] });
  });

  it("reads the API key from a bearer token or x-api-key", () => {
    expect(apiKeyOf({ authorization: "Bearer sk-1" })).toBe("sk-1");
    expect(apiKeyOf({ authorization: "bearer sk-2" })).toBe("sk-2");
    expect(apiKeyOf({ "x-api-key": "sk-ant" })).toBe("sk-ant");
    expect(apiKeyOf({ authorization: "Basic abc" })).toBeNull();
    expect(apiKeyOf({})).toBeNull();
  });
});
