import { describe, expect, it } from "vitest";
import {
  chatContinuation,
  messagesContinuation,
  renderChatPrompt,
  renderMessagesPrompt,
} from "../../../src/mock/engine-sim/prompt.js";

const tools = [{ type: "function", function: { name: "read", parameters: { type: "object" } } }];

describe("rendered prompts", () => {
  it("chat: the next turn's prompt extends this turn's prompt and reply, tool calls included", () => {
    const turn1 = [
      { role: "system", content: "be an agent" },
      { role: "user", content: "read a file" },
    ];
    const reply = {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "read", arguments: '{"path":"a"}' } }],
    };
    const turn2 = [...turn1, reply, { role: "tool", tool_call_id: "call_1", content: "file body" }];
    const first = renderChatPrompt(turn1, tools);
    const second = renderChatPrompt(turn2, tools);
    expect(second.startsWith(first + chatContinuation(reply))).toBe(true);
    expect(second).toContain("file body");
  });

  it("messages: the system prompt and tools come first, and moving cache_control marks change nothing", () => {
    const system = [{ type: "text", text: "be an agent", cache_control: { type: "ephemeral" } }];
    const turn1 = [
      { role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] },
    ];
    const reply = [{ type: "tool_use", id: "toolu_1", name: "read", input: { path: "a" } }];
    const turn2 = [
      { role: "user", content: [{ type: "text", text: "hi" }] },
      { role: "assistant", content: reply },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: "body",
            cache_control: { type: "ephemeral" },
          },
        ],
      },
    ];
    const anthropicTools = [
      { name: "read", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } },
    ];
    const first = renderMessagesPrompt(system, turn1, anthropicTools);
    const second = renderMessagesPrompt([{ type: "text", text: "be an agent" }], turn2, anthropicTools);
    expect(first.startsWith("<|system|>\nbe an agent\n<|tools|>")).toBe(true);
    expect(second.startsWith(first + messagesContinuation(reply))).toBe(true);
    expect(second).not.toContain("ephemeral");
  });
});
