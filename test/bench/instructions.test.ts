import { describe, expect, it } from "vitest";
import { parseInstructionOptions } from "../../bench/instructions-options.js";
import {
  type InstructionPhase,
  median,
  proxyRatio,
  renderInstructionTable,
  spread,
} from "../../bench/instructions-report.js";

describe("parseInstructionOptions", () => {
  it("counts both targets, chat, JSON and stream by default", () => {
    const options = parseInstructionOptions([], true);
    expect(options).toMatchObject({
      only: ["proxy", "gateway"],
      flavours: ["chat"],
      payloads: ["json", "stream"],
      rounds: 5,
      concurrency: 1,
      nodeFlags: ["--interrupt-budget=8192"],
      annotate: 0,
    });
    expect(options.requests).toBeGreaterThan(0);
    expect(options.json).toBeUndefined();
  });

  it("reads lists in their canonical order, node flags and --annotate with or without a count", () => {
    const options = parseInstructionOptions([
      "--only",
      "gateway",
      "--protocols",
      "messages,responses",
      "--payloads",
      "stream,json",
      "--node-flags",
      "--single-threaded-gc  --max-semi-space-size=16",
      "--annotate",
      "--json",
      "out.json",
    ]);
    expect(options.only).toEqual(["gateway"]);
    expect(options.flavours).toEqual(["chat", "responses", "messages"]);
    expect(options.payloads).toEqual(["json", "stream"]);
    expect(options.nodeFlags).toEqual(["--single-threaded-gc", "--max-semi-space-size=16"]);
    expect(options.annotate).toBe(25);
    expect(options.json).toBe("out.json");
    expect(parseInstructionOptions(["--annotate", "5"]).annotate).toBe(5);
  });

  it.each([
    [["--requests", "0"]],
    [["--warmup", "-1"]],
    [["--rounds", "1.5"]],
    [["--only", "direct"]],
    [["--payloads", "long"]],
    [["--protocols", "responses-native"]],
    [["--protocols", "gopher"]],
    [["--node-flags", "single-threaded"]],
    [["--bogus"]],
  ])("refuses %j", (argv) => {
    expect(() => parseInstructionOptions(argv, true)).toThrow();
  });
});

const phase = (
  target: InstructionPhase["target"],
  protocol: InstructionPhase["protocol"],
  payload: InstructionPhase["payload"],
  rounds: number[],
): InstructionPhase => ({ target, protocol, payload, rounds, errors: 0 });

describe("the report", () => {
  const phases = [
    phase("proxy", "chat", "json", [240_000]),
    phase("gateway", "chat", "json", [400_000, 404_000, 396_000]),
    phase("gateway", "messages", "json", [600_000]),
    phase("proxy", "chat", "stream", [300_000]),
  ];

  it("takes the median of the rounds and their spread", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(spread([400_000, 404_000, 396_000])).toBeCloseTo(0.02);
    expect(spread([5])).toBe(0);
  });

  it("gives proxy ÷ gateway for a payload both counted, chat only", () => {
    expect(proxyRatio(phases, "json")).toBeCloseTo(0.6);
    expect(proxyRatio(phases, "stream")).toBeUndefined();
  });

  it("renders one row per phase with its ratios", () => {
    const lines = renderInstructionTable(phases).split("\n");
    expect(lines[0]).toMatch(
      /^target\s+protocol\s+payload\s+instr\/req\s+spread\s+proxy ÷ this\s+this ÷ chat/,
    );
    expect(lines[3]).toMatch(/^gateway\s+chat\s+json\s+400k\s+2\.0%\s+0\.60$/);
    expect(lines[4]).toMatch(/^gateway\s+messages\s+json\s+600k\s+0\.40\s+1\.50$/);
  });
});
