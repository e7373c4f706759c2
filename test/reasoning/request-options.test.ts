import { describe, expect, it } from "vitest";
import { parseReasoningRequest, stripReasoningFields } from "../../src/reasoning/request-options.js";

const messages = [
  { role: "system", content: "Answer in one word." },
  { role: "user", content: "Capital of the US?" },
];

describe("parseReasoningRequest", () => {
  it("applies defaults", () => {
    expect(parseReasoningRequest({ model: "m", messages })).toEqual({
      ok: true,
      request: {
        separateThinking: false,
        includeChannels: ["analysis", "commentary", "final"],
        effort: undefined,
        developerInstructions: undefined,
      },
    });
  });

  it("reads the Python model server's fields", () => {
    const result = parseReasoningRequest({
      reasoning: "Medium",
      separate_thinking: true,
      include_channels: ["final", "analysis", "final"],
      developer_instructions: "Be terse.",
    });
    expect(result).toEqual({
      ok: true,
      request: {
        separateThinking: true,
        includeChannels: ["final", "analysis"],
        effort: "medium",
        developerInstructions: "Be terse.",
      },
    });
  });

  it.each([
    [{ reasoning: { effort: "high", summary: "auto" } }, "high"],
    [{ reasoning_effort: "low" }, "low"],
    [{ reasoning_effort: "minimal" }, "minimal"],
    [{ reasoning: "high", reasoning_effort: "high" }, "high"],
    [{ reasoning: null, reasoning_effort: null }, undefined],
    [{ reasoning: {} }, undefined],
  ])("reads the effort of %j", (body, effort) => {
    const result = parseReasoningRequest(body);
    expect(result.ok && result.request.effort).toBe(effort);
  });

  it.each([
    [{ separate_thinking: "yes" }, "separate_thinking"],
    [{ include_channels: "final" }, "include_channels"],
    [{ include_channels: ["final", "thoughts"] }, "include_channels"],
    [{ reasoning: "extreme" }, "reasoning"],
    [{ reasoning: 3 }, "reasoning"],
    [{ reasoning: { effort: "huge" } }, "reasoning.effort"],
    [{ reasoning_effort: "max" }, "reasoning_effort"],
    [{ reasoning: "low", reasoning_effort: "high" }, "reasoning_effort"],
    [{ developer_instructions: ["x"] }, "developer_instructions"],
    [[], null],
    ["body", null],
  ])("rejects %j naming %s", (body, param) => {
    const result = parseReasoningRequest(body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.param).toBe(param);
      expect(result.error.message).not.toBe("");
    }
  });
});

describe("stripReasoningFields", () => {
  it("removes the extension fields, keeping what they asked for in standard form", () => {
    const body = {
      model: "gpt-oss-20b",
      messages,
      reasoning: "medium",
      separate_thinking: true,
      include_channels: ["final"],
      developer_instructions: "Be terse.",
      temperature: 0.7,
    };
    const before = structuredClone(body);
    expect(stripReasoningFields(body)).toEqual({
      model: "gpt-oss-20b",
      messages: [messages[0], { role: "developer", content: "Be terse." }, messages[1]],
      reasoning_effort: "medium",
      temperature: 0.7,
    });
    expect(body).toEqual(before);
  });

  it("keeps an explicit reasoning_effort and can drop developer instructions", () => {
    const body = {
      messages,
      reasoning: { effort: "low" },
      reasoning_effort: "high",
      developer_instructions: "x",
    };
    expect(stripReasoningFields(body, { developerInstructions: "drop" })).toEqual({
      messages,
      reasoning_effort: "high",
    });
  });

  it("leaves a body without extension fields as it was", () => {
    const body = { model: "m", messages, stream: true };
    const stripped = stripReasoningFields(body);
    expect(stripped).toEqual(body);
    expect(stripped).not.toBe(body);
  });
});
