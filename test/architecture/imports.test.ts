/**
 * The import graph of `src/`: no cycles between files (type-only imports count, since a type cycle
 * still ties the files together), and the folder rules of docs/architecture.md.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

/** Every `.ts` file under `src/`, as a path relative to `src/` with forward slashes. */
function sourceFiles(folder = SRC): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(SRC, path).split("\\").join("/")] : [];
  });
}

/**
 * The specifiers of a file's static imports and re-exports (`import … from`, `import type … from`,
 * `export … from`, `import "…"`). They start a line, as Biome formats them. Dynamic `import()` is
 * left out: it is how the CLI loads a runtime lazily, and it does not tie two modules' loading
 * together.
 */
const STATIC_IMPORT =
  /^(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s+from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']/gm;

function specifiers(text: string): string[] {
  return [...text.matchAll(STATIC_IMPORT)].map((match) => (match[1] ?? match[2])!);
}

/** `src/`-relative file for a relative specifier, or undefined for a package or `node:` import. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const target = join(dirname(from), specifier).split("\\").join("/");
  return target.replace(/\.js$/, ".ts");
}

const FILES = sourceFiles();
const GRAPH = new Map<string, { local: string[]; packages: string[] }>(
  FILES.map((file) => {
    // A JSON import is data (usage/default-prices.json), not a module of the graph; tsc checks it exists.
    const all = specifiers(readFileSync(join(SRC, file), "utf8")).filter((s) => !s.endsWith(".json"));
    const local = all.flatMap((s) => resolveLocal(file, s) ?? []);
    const packages = all.filter((s) => resolveLocal(file, s) === undefined);
    return [file, { local, packages }];
  }),
);

const FILE_EDGES = new Map([...GRAPH].map(([file, { local }]) => [file, local]));

/** Each strongly connected component with more than one file, or a file importing itself (Tarjan). */
function cycles(edges: ReadonlyMap<string, readonly string[]> = FILE_EDGES): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const next of edges.get(file) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || edges.get(file)!.includes(file)) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** One concrete loop inside a component, for a readable failure: a → b → … → a. */
function loopIn(component: readonly string[]): string {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of GRAPH.get(file)!.local) {
      if (next === start) {
        const path = [start];
        for (let at = file; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start].join(" → ");
      }
      if (members.has(next) && !previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return component.join(", ");
}

/**
 * Cycles and folder-rule breaks that exist today and are being removed, each with where. A cycle is
 * excused only when its files are exactly these; an excused entry that no longer occurs is harmless.
 */
const KNOWN_CYCLES: readonly (readonly string[])[] = [];
const KNOWN_BREAKS: ReadonlySet<string> = new Set([]);

/**
 * The folders of `src/` and the folders each may import, as drawn in docs/architecture.md
 * ("Dependency direction"). `cli` may import anything; a folder may always import itself.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  "gateway-process": ["gateway", "worker-figures", "process", "state", "config"],
  cluster: ["process", "config", "options"],
  gateway: [
    "routing",
    "upstream",
    "state",
    "metrics",
    "worker-figures",
    "protocol",
    "reasoning",
    "config",
    "telemetry",
    "console",
    "ledger",
    "usage",
    "process",
  ],
  serve: ["process", "protocol", "reasoning", "options"],
  mock: ["process", "protocol", "random", "options"],
  bench: ["config", "random", "options"],
  routing: ["upstream", "config"],
  upstream: ["state"],
  metrics: ["worker-figures"],
  "worker-figures": ["state"],
  process: [],
  config: ["options"],
  options: [],
  state: [],
  ledger: [],
  protocol: [],
  reasoning: [],
  random: [],
  telemetry: [],
  console: [],
  usage: ["state", "config"],
};

const folderOf = (file: string): string => (file.includes("/") ? file.slice(0, file.indexOf("/")) : "");

/** `file → import` for every import from a file in `from` into a folder in `into`. */
function importsBetween(from: readonly string[], into: readonly string[]): string[] {
  return FILES.filter((file) => from.includes(folderOf(file))).flatMap((file) =>
    GRAPH.get(file)!
      .local.filter((target) => into.includes(folderOf(target)))
      .map((target) => `${file} → ${target}`)
      .filter((edge) => !KNOWN_BREAKS.has(edge)),
  );
}

describe("the import graph of src/", () => {
  it("finds the source files and their imports", () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(GRAPH.get("cli/index.ts")!.local.length).toBeGreaterThan(0);
  });

  it("resolves every relative import to a file that exists", () => {
    const missing = [...GRAPH].flatMap(([file, { local }]) =>
      local.filter((target) => !GRAPH.has(target)).map((target) => `${file} → ${target}`),
    );
    expect(missing).toEqual([]);
  });

  it("has no cycles, type-only imports included", () => {
    const known = new Set(KNOWN_CYCLES.map((component) => [...component].sort().join(",")));
    const found = cycles()
      .filter((component) => !known.has(component.join(",")))
      .map(
        (component) => `${loopIn(component)}\n    (all ${component.length} files: ${component.join(", ")})`,
      );
    expect(found, `import cycles:\n${found.join("\n")}`).toEqual([]);
  });

  it("imports between folders follow the layers of docs/architecture.md, which form no cycle", () => {
    const folders = [...new Set(FILES.map(folderOf))].filter((folder) => folder !== "");
    expect(folders.filter((folder) => folder !== "cli" && MAY_IMPORT[folder] === undefined)).toEqual([]);
    const against = FILES.flatMap((file) => {
      const from = folderOf(file);
      if (from === "cli" || from === "") return [];
      return GRAPH.get(file)!
        .local.filter((target) => {
          const into = folderOf(target);
          return into !== from && !(MAY_IMPORT[from] ?? []).includes(into);
        })
        .map((target) => `${file} → ${target}`);
    });
    expect(against, "imports against the layers").toEqual([]);
    const layers = new Map(Object.entries(MAY_IMPORT));
    expect(cycles(layers)).toEqual([]);
  });

  it("config imports nothing from routing or gateway", () => {
    expect(importsBetween(["config"], ["routing", "gateway"])).toEqual([]);
  });

  it("metrics imports nothing from routing or gateway", () => {
    expect(importsBetween(["metrics"], ["routing", "gateway"])).toEqual([]);
  });

  it("mock and serve import nothing from cluster, the gateway's process or the gateway", () => {
    expect(
      importsBetween(["mock", "serve"], ["cluster", "gateway-process", "gateway", "routing", "state"]),
    ).toEqual([]);
  });

  it("process and worker-figures are leaves over state: they import no runtime", () => {
    expect(
      importsBetween(
        ["process", "worker-figures"],
        ["cli", "gateway", "gateway-process", "cluster", "serve", "mock", "bench", "routing"],
      ),
    ).toEqual([]);
  });

  it("only cli and gateway-process import gateway-process, and only cli imports cluster", () => {
    const others = [...new Set(FILES.map(folderOf))];
    expect(
      importsBetween(
        others.filter((folder) => !["cli", "gateway-process"].includes(folder)),
        ["gateway-process"],
      ),
    ).toEqual([]);
    expect(
      importsBetween(
        others.filter((folder) => !["cli", "cluster"].includes(folder)),
        ["cluster"],
      ),
    ).toEqual([]);
  });

  it("protocol and reasoning import only each other and no I/O", () => {
    const pure = ["protocol", "reasoning"];
    const outside = FILES.filter((file) => pure.includes(folderOf(file))).flatMap((file) =>
      GRAPH.get(file)!
        .local.filter((target) => !pure.includes(folderOf(target)))
        .map((target) => `${file} → ${target}`),
    );
    expect(outside).toEqual([]);
    const ALLOWED_PACKAGES = new Set(["zod", "node:crypto"]);
    const io = FILES.filter((file) => pure.includes(folderOf(file))).flatMap((file) =>
      GRAPH.get(file)!
        .packages.filter((name) => !ALLOWED_PACKAGES.has(name))
        .map((name) => `${file} → ${name}`),
    );
    expect(io).toEqual([]);
  });
});
