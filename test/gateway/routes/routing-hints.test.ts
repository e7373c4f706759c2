import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { promptCacheKey, routingHints } from "../../../src/gateway/routes/routing-hints.js";

function request(headers: Record<string, string>): FastifyRequest {
  return { headers, query: {} } as unknown as FastifyRequest;
}

describe("session key from headers", () => {
  it.each([
    ["x-session-id", { "x-session-id": "a", "x-claude-code-session-id": "b", "session-id": "c" }, "a"],
    ["Claude Code's x-claude-code-session-id", { "x-claude-code-session-id": "b", "session-id": "c" }, "b"],
    ["Codex's session-id", { "session-id": "c", "x-api-key": "sk" }, "c"],
    ["the API key without a session header", { "x-api-key": "sk" }, "sk"],
    [
      "an empty session header is passed over",
      { "x-claude-code-session-id": "", authorization: "Bearer k" },
      "Bearer k",
    ],
  ])("%s", (_name, headers, expected) => {
    expect(routingHints(request(headers)).sessionHeader).toBe(expected);
  });
});

describe("promptCacheKey", () => {
  it("reads a non-empty string and nothing else", () => {
    expect(promptCacheKey({ prompt_cache_key: "thread-7" })).toBe("thread-7");
    expect(promptCacheKey({ prompt_cache_key: "" })).toBeUndefined();
    expect(promptCacheKey({ prompt_cache_key: 7 })).toBeUndefined();
    expect(promptCacheKey({})).toBeUndefined();
  });
});
