import { describe, expect, it } from "vitest";
import { chooseTool, type OfferedTool } from "../../src/mock/tool-choice.js";

const tool = (name: string): OfferedTool => ({ name, schema: { type: "object" } });
const one = [tool("get_weather")];
const many = ["Bash", "Read", "Edit", "get_weather", "mcp__github__create_issue"].map(tool);
const auto = { kind: "auto" } as const;

describe("chooseTool", () => {
  it("calls the only tool offered, with the user's text", () => {
    expect(chooseTool(one, auto, "hello")).toEqual({
      name: "get_weather",
      schema: one[0]!.schema,
      text: "hello",
    });
  });

  it("answers with text for no tools or tool_choice none", () => {
    expect(chooseTool([], auto, "use get_weather")).toBeUndefined();
    expect(chooseTool(one, { kind: "none" }, "use get_weather")).toBeUndefined();
    expect(chooseTool(many, { kind: "none" }, "use Bash")).toBeUndefined();
  });

  it("with many tools, calls one only when the text names it", () => {
    expect(chooseTool(many, auto, "hello there")).toBeUndefined();
    expect(chooseTool(many, auto, "Read the file and Edit it")).toBeUndefined();
    expect(chooseTool(many, auto, "please use get_weather.")?.name).toBe("get_weather");
    expect(chooseTool(many, auto, "Call `mcp__github__create_issue` now")?.name).toBe(
      "mcp__github__create_issue",
    );
    expect(chooseTool(many, auto, "use the Read")?.name).toBe("Read");
    // Names are matched exactly: "bash" is not the tool "Bash".
    expect(chooseTool(many, auto, "use bash")).toBeUndefined();
    expect(chooseTool(many, auto, "use nothing, then use Edit")?.name).toBe("Edit");
  });

  it("ignores names inside Claude Code's system reminders", () => {
    const text = "<system-reminder>\nuse the Edit tool to change files\n</system-reminder> hello";
    expect(chooseTool(many, auto, text)).toBeUndefined();
  });

  it("gives the words after the name to the first string, or the JSON object as the arguments", () => {
    expect(chooseTool(many, auto, "use Bash ls -l /tmp")).toMatchObject({ name: "Bash", text: "ls -l /tmp" });
    expect(chooseTool(many, auto, 'use Read {"file_path": "/tmp/a.txt"} please')).toMatchObject({
      name: "Read",
      text: 'use Read {"file_path": "/tmp/a.txt"} please',
      given: { file_path: "/tmp/a.txt" },
    });
    expect(chooseTool(many, auto, "use Read {not json")).toMatchObject({ text: "{not json" });
    expect(chooseTool(many, auto, "use Read")).toMatchObject({ text: "use Read" });
  });

  it("forces the named tool, offered or not", () => {
    expect(chooseTool(many, { kind: "named", name: "Edit" }, "hello")).toMatchObject({
      name: "Edit",
      text: "hello",
    });
    expect(chooseTool(many, { kind: "named", name: "Bash" }, "use Bash pwd")).toMatchObject({ text: "pwd" });
    expect(chooseTool(many, { kind: "named", name: "other" }, "hello")).toEqual({
      name: "other",
      schema: undefined,
      text: "hello",
    });
  });

  it("with tool_choice required, calls the named tool or else the first", () => {
    expect(chooseTool(many, { kind: "required" }, "hello")?.name).toBe("Bash");
    expect(chooseTool(many, { kind: "required" }, "use Edit")?.name).toBe("Edit");
  });
});
