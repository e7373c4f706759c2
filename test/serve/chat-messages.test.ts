import { describe, expect, it } from "vitest";
import { toChatHistory } from "../../src/serve/chat-messages.js";

describe("toChatHistory", () => {
  it("maps roles and appends the model turn to generate", () => {
    const result = toChatHistory([
      { role: "system", content: "be brief" },
      { role: "developer", content: "no lists" },
      {
        role: "user",
        content: [
          { type: "text", text: "Hel" },
          { type: "text", text: "lo" },
        ],
      },
      { role: "assistant", content: "Hi." },
      { role: "user", content: "Again" },
    ]);
    expect(result).toEqual({
      ok: true,
      history: [
        { type: "system", text: "be brief" },
        { type: "system", text: "no lists" },
        { type: "user", text: "Hello" },
        { type: "model", response: ["Hi."] },
        { type: "user", text: "Again" },
        { type: "model", response: [] },
      ],
    });
  });

  it("continues a final assistant message instead of starting a new one", () => {
    const result = toChatHistory([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hel" },
    ]);
    expect(result.ok && result.history.at(-1)).toEqual({ type: "model", response: ["Hel"] });
  });

  it("treats null content (an assistant turn with tool calls) as empty", () => {
    const result = toChatHistory([
      { role: "user", content: "Hi" },
      { role: "assistant", content: null },
      { role: "user", content: "?" },
    ]);
    expect(result.ok && result.history[1]).toEqual({ type: "model", response: [] });
  });

  it("refuses what a text model cannot read, naming the field", () => {
    expect(toChatHistory([{ role: "tool", content: "42", tool_call_id: "c1" }])).toEqual({
      ok: false,
      error: { message: expect.stringContaining("role 'tool'"), param: "messages.0.role" },
    });
    expect(
      toChatHistory([{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }]),
    ).toEqual({
      ok: false,
      error: { message: expect.stringContaining("image_url"), param: "messages.0.content.0" },
    });
    expect(toChatHistory([{ role: "user", content: 7 }])).toMatchObject({
      ok: false,
      error: { param: "messages.0.content" },
    });
  });
});
