/**
 * Where a target's instructions go, for `bench:instructions --annotate`: each function of a
 * callgrind listing (self cost, JIT code already named by perf-map.ts) falls into one part, such as
 * the gateway's own modules by directory, an npm package, node's JavaScript, V8's builtins or its
 * garbage collector, and the parts are summed per request. Pure functions.
 * @module
 */
import type { AnnotatedFunction } from "./callgrind.js";
import { renderTable } from "./format.js";

const GC =
  /Scaveng|Marking|Sweep|Sweeper|Evacuat|MarkCompact|Worklist|IterateObjectCache|RememberedSet|SlotSet|BodyDescriptor|Heap::|HeapObject::|MemoryChunk|Factory::AllocateRaw/;

/** The part a function of callgrind's listing belongs to. */
export function partOf(name: string): string {
  if (name.startsWith("js:")) return jsPart(name);
  if (/^\?\?\?:0x[0-9a-fA-F]+ \[\?\?\?\]$/.test(name)) return "JIT code, unnamed";
  if (name.includes("Builtins_")) return "V8 builtins (calls, property access, …)";
  if (/llhttp/.test(name)) return "llhttp (HTTP parser)";
  if (GC.test(name)) return "V8 garbage collector";
  if (name.includes("v8::")) return "V8 runtime (C++)";
  if (/node::|\/deps\/uv\/|\buv_|\buv__/.test(name)) return "node and libuv (C++)";
  if (/\[[^\]]*libc\.so[^\]]*\]$/.test(name)) return "libc";
  return "other native code";
}

/** `js:JS:*name file:///…/dist/src/gateway/x.js:1:2`: by the script's place. */
function jsPart(name: string): string {
  const url = / (\S+?):\d+:\d+$/.exec(name)?.[1] ?? "";
  const own = /\/dist\/(src|bench)\/([^/]+)\//.exec(url);
  if (own) return `JS ${own[1]}/${own[2]}`;
  const ownFile = /\/dist\/(src|bench)\/[^/]+\.js$/.exec(url);
  if (ownFile) return `JS ${ownFile[1]}/*.js`;
  const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageName) return `JS npm ${packageName[1]}`;
  if (url.startsWith("node:")) return "JS node: (streams, http, events, …)";
  return "JS other";
}

/** Instructions per part, summed over `functions` (self costs, so nothing is counted twice). */
export function breakdown(functions: readonly AnnotatedFunction[]): Map<string, number> {
  const parts = new Map<string, number>();
  for (const entry of functions) {
    const part = partOf(entry.name);
    parts.set(part, (parts.get(part) ?? 0) + entry.instructions);
  }
  return parts;
}

/** One column per labelled breakdown (instructions per request), parts by the largest first. */
export function renderBreakdown(
  columns: readonly { label: string; perRequest: Map<string, number> }[],
): string {
  const total = new Map<string, number>();
  for (const column of columns)
    for (const [part, value] of column.perRequest) total.set(part, (total.get(part) ?? 0) + value);
  const parts = [...total.keys()].sort((a, b) => total.get(b)! - total.get(a)!);
  const cell = (value: number | undefined) => (value === undefined ? "-" : `${(value / 1000).toFixed(1)}k`);
  const rows = parts.map((part) => [part, ...columns.map((column) => cell(column.perRequest.get(part)))]);
  const sums = columns.map((column) => cell([...column.perRequest.values()].reduce((a, b) => a + b, 0)));
  return renderTable(
    ["self instructions per request", ...columns.map((column) => column.label)],
    [...rows, ["all", ...sums]],
    ["left", ...columns.map(() => "right" as const)],
  );
}
