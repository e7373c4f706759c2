import { describe, expect, it } from "vitest";
import { entryAt, parsePerfMap, symbolize } from "../../bench/perf-map.js";

const MAP = [
  "d1e3f00 1a0 JS:*onRequest file:///repo/dist/src/gateway/app.js:10:5",
  "d100000 40 Builtin:ArgumentsAdaptorTrampoline",
  "not a line",
  "d223140 80 JS:^pick file:///repo/dist/src/routing/pick.js:3:1",
  // The same addresses reused once the first code object was collected: the later entry wins.
  "d100000 40 JS:*later file:///repo/x.js:1:1",
].join("\n");

describe("parsePerfMap and entryAt", () => {
  const entries = parsePerfMap(MAP);

  it("reads start, size and name, sorted by start, skipping other lines", () => {
    expect(entries.map((entry) => entry.start)).toEqual([0xd100000, 0xd100000, 0xd1e3f00, 0xd223140]);
    expect(entries[2]).toEqual({
      start: 0xd1e3f00,
      size: 0x1a0,
      name: "JS:*onRequest file:///repo/dist/src/gateway/app.js:10:5",
    });
  });

  it("finds the range that holds an address, the later of two at one start", () => {
    expect(entryAt(entries, 0xd1e3f00)?.name).toMatch(/onRequest/);
    expect(entryAt(entries, 0xd1e3f00 + 0x19f)?.name).toMatch(/onRequest/);
    expect(entryAt(entries, 0xd1e3f00 + 0x1a0)).toBeUndefined();
    expect(entryAt(entries, 0xd100010)?.name).toMatch(/later/);
    expect(entryAt(entries, 0x1)).toBeUndefined();
    expect(entryAt([], 0xd100010)).toBeUndefined();
  });
});

describe("symbolize", () => {
  const entries = parsePerfMap(MAP);

  it("names JIT code by the map and leaves every other name as it is", () => {
    expect(symbolize("???:0x000000000d223150 [???]", entries)).toBe(
      "js:JS:^pick file:///repo/dist/src/routing/pick.js:3:1",
    );
    expect(symbolize("???:0x0000000000000010 [???]", entries)).toBe("???:0x0000000000000010 [???]");
    expect(symbolize("???:Builtins_JSEntry [/usr/bin/node]", entries)).toBe(
      "???:Builtins_JSEntry [/usr/bin/node]",
    );
  });
});
