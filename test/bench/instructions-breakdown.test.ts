import { describe, expect, it } from "vitest";
import { breakdown, partOf, renderBreakdown } from "../../bench/instructions-breakdown.js";

describe("partOf", () => {
  it.each([
    ["js:JS:*onRequest file:///repo/dist/src/gateway/app.js:10:5", "JS src/gateway"],
    ["js:JS:^main file:///repo/dist/bench/baseline-proxy.js:3:1", "JS bench/*.js"],
    ["js:JS:*request file:///repo/node_modules/undici/lib/api/api-request.js:1:1", "JS npm undici"],
    ["js:JS:*x file:///repo/node_modules/@fastify/error/index.js:1:1", "JS npm @fastify/error"],
    ["js:JS:*Readable.push node:internal/streams/readable:1:1", "JS node: (streams, http, events, …)"],
    ["???:0x000000000d1e3f00 [???]", "JIT code, unnamed"],
    ["???:Builtins_KeyedLoadIC_Megamorphic [/usr/bin/node]", "V8 builtins (calls, property access, …)"],
    ["???:llhttp__internal_execute [/usr/bin/node]", "llhttp (HTTP parser)"],
    ["???:v8::internal::Scavenger::ScavengeObject(x) [/usr/bin/node]", "V8 garbage collector"],
    ["???:v8::internal::LookupIterator::State [/usr/bin/node]", "V8 runtime (C++)"],
    ["/build/deps/uv/src/unix/stream.c:uv__read [/usr/bin/node]", "node and libuv (C++)"],
    ["???:node::LibuvStreamWrap::OnUvRead(long) [/usr/bin/node]", "node and libuv (C++)"],
    ["./malloc/./malloc/malloc.c:_int_free [/usr/lib/x86_64-linux-gnu/libc.so.6]", "libc"],
    ["???:something [/usr/lib/libstdc++.so.6]", "other native code"],
  ])("%s → %s", (name, part) => {
    expect(partOf(name)).toBe(part);
  });
});

describe("breakdown and its table", () => {
  it("sums self costs per part and renders one column per phase, largest part first", () => {
    const proxy = breakdown([
      { instructions: 100, name: "???:Builtins_LoadIC [/usr/bin/node]" },
      { instructions: 50, name: "???:Builtins_StoreIC [/usr/bin/node]" },
      { instructions: 30, name: "???:0x0000000000000010 [???]" },
    ]);
    expect(Object.fromEntries(proxy)).toEqual({
      "V8 builtins (calls, property access, …)": 150,
      "JIT code, unnamed": 30,
    });
    const table = renderBreakdown([
      { label: "proxy json", perRequest: proxy },
      { label: "gateway json", perRequest: new Map([["JS src/gateway", 2_000]]) },
    ]).split("\n");
    expect(table[0]).toMatch(/^self instructions per request\s+proxy json\s+gateway json$/);
    expect(table[2]).toMatch(/^JS src\/gateway\s+-\s+2\.0k$/);
    expect(table.at(-1)).toMatch(/^all\s+0\.2k\s+2\.0k$/);
  });
});
