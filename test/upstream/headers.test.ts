import { describe, expect, it } from "vitest";
import { upstreamRequestHeaders } from "../../src/upstream/headers.js";

describe("upstreamRequestHeaders", () => {
  it("forwards every anthropic-* header verbatim, names it has never seen included", () => {
    const headers = upstreamRequestHeaders(
      {
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "mid-conversation-system-clear-at-2026-08-21,context-1m-2025-08-07",
        "anthropic-dangerous-direct-browser-access": "true",
        "anthropic-future-header": "x",
        "x-api-key": "sk-client",
      },
      "req-1",
    );
    expect(headers).toMatchObject({
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "mid-conversation-system-clear-at-2026-08-21,context-1m-2025-08-07",
      "anthropic-dangerous-direct-browser-access": "true",
      "anthropic-future-header": "x",
      "x-api-key": "sk-client",
      "x-request-id": "req-1",
    });
  });

  it("joins a repeated anthropic-* header and keeps other client headers out", () => {
    const headers = upstreamRequestHeaders(
      {
        "anthropic-beta": ["a-2025-01-01", "b-2026-01-01"] as unknown as string,
        "x-claude-code-session-id": "s-1",
        "x-stainless-os": "Linux",
        cookie: "secret",
      },
      "req-2",
    );
    expect(headers["anthropic-beta"]).toBe("a-2025-01-01, b-2026-01-01");
    expect(headers).not.toHaveProperty("x-claude-code-session-id");
    expect(headers).not.toHaveProperty("x-stainless-os");
    expect(headers).not.toHaveProperty("cookie");
  });
});
