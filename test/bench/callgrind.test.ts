import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  callgrindArgs,
  instructionsOf,
  parseAnnotate,
  parseCallgrindTotals,
  UNCOUNTED_FUNCTIONS,
} from "../../bench/callgrind.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/callgrind/${name}`, import.meta.url), "utf8");

describe("parseCallgrindTotals", () => {
  it("reads the events and the summary line of a dump", () => {
    expect(parseCallgrindTotals(fixture("dump.out"))).toEqual({ events: ["Ir"], counts: [132465671] });
    expect(instructionsOf(fixture("dump.out"))).toBe(132465671);
  });

  it("falls back on the totals line, and finds Ir among several events", () => {
    const text = "events: Dr Ir Dw\nfn=(1) main\n3 10 20 30\ntotals: 10 20 30\n";
    expect(parseCallgrindTotals(text)).toEqual({ events: ["Dr", "Ir", "Dw"], counts: [10, 20, 30] });
    expect(instructionsOf(text)).toBe(20);
  });

  it("returns undefined for a dump still being written or without Ir", () => {
    expect(parseCallgrindTotals("# callgrind format\nevents: Ir\n")).toBeUndefined();
    expect(instructionsOf("")).toBeUndefined();
    expect(instructionsOf("events: Dr\nsummary: 5\n")).toBeUndefined();
    expect(instructionsOf("events: Ir\nsummary: many\n")).toBeUndefined();
  });
});

describe("parseAnnotate", () => {
  it("lists the function lines, largest first, without the program total", () => {
    const functions = parseAnnotate(fixture("annotate.txt"));
    expect(functions).toHaveLength(9);
    expect(functions[0]).toEqual({
      instructions: 120418763,
      name: "/home/iojs/build/ws/out/../deps/uv/src/unix/core.c:uv_run [/usr/bin/node]",
    });
    expect(functions.map((entry) => entry.name)).not.toContain("PROGRAM TOTALS");
    expect(functions.at(-1)?.instructions).toBe(98823523);
  });
});

describe("callgrindArgs", () => {
  it("starts node uninstrumented, leaves the optimising compiler out and passes node's flags before the script", () => {
    const args = callgrindArgs(
      { outFile: "out/cg", nodeFlags: ["--single-threaded-gc"], script: "proxy.js", args: ["http://x"] },
      "/bin/node",
    );
    expect(args.slice(0, 3)).toEqual([
      "--tool=callgrind",
      "--callgrind-out-file=out/cg",
      "--instr-atstart=no",
    ]);
    const toggle = args.indexOf(`--toggle-collect=${UNCOUNTED_FUNCTIONS[0]}`);
    // A toggle switches collection off at start unless --collect-atstart=yes comes after it.
    expect(toggle).toBeGreaterThan(0);
    expect(args.indexOf("--collect-atstart=yes")).toBeGreaterThan(toggle);
    expect(args.slice(-4)).toEqual(["/bin/node", "--single-threaded-gc", "proxy.js", "http://x"]);
  });
});
