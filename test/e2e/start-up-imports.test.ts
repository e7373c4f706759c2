/**
 * A process loads only what its command and configuration use: heavy optional modules (node-redis,
 * the ledger's drizzle and database drivers, yaml, the OpenTelemetry SDK, node-llama-cpp, ink)
 * are imported when a setting or command asks for them, because every `switchyard` start pays
 * for what it loads. A preloaded loader hook records every module the process loads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";

const RECORDER = pathToFileURL(new URL("../fixtures/record-imports.mjs", import.meta.url).pathname).href;

/** Packages that only some configurations or commands need. */
const OPTIONAL = [
  "redis",
  "@redis/client",
  "drizzle-orm",
  "@electric-sql/pglite",
  "pg",
  "yaml",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/sdk-metrics",
  "node-llama-cpp",
  "ink",
  "react",
  // fastify's JSON-schema validator: no route declares a schema (process/no-route-schemas.ts).
  "ajv",
];

let dir: string;
afterEach(stopAll);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The packages and switchyard modules (`gateway/app.js`) a process loaded by the time it stopped after READY. */
async function loadedBy(args: string[], name: string): Promise<{ packages: Set<string>; modules: string[] }> {
  dir ??= mkdtempSync(join(tmpdir(), "switchyard-imports-"));
  const record = join(dir, `${name}.txt`);
  writeFileSync(record, "");
  const cli = await startCli(args, {
    env: {
      NODE_OPTIONS: `--import ${RECORDER}`,
      SWITCHYARD_RECORD_IMPORTS: record,
      SWITCHYARD_CONFIG: "",
      SWITCHYARD_BACKENDS: "",
      OPENAI_API_KEYS: "",
      ANTHROPIC_API_KEYS: "",
      SERVICE_ENDPOINTS: "",
    },
  });
  // A gateway stopped by its signal handler exits through process.exit, which writes the record.
  expect(await cli.stop()).toBe(0);
  const urls = readFileSync(record, "utf8").split("\n").filter(Boolean);
  const packages = new Set(
    urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []),
  );
  const modules = urls.flatMap((url) => /\/dist\/src\/(.+)$/.exec(url)?.[1] ?? []);
  return { packages, modules };
}

describe("start-up imports", () => {
  it("a gateway without Redis, ledger, YAML or OpenTelemetry loads none of them", async () => {
    const { packages, modules } = await loadedBy(
      ["gateway", "--port", "0", "--log-level", "warn"],
      "gateway",
    );
    // The recorder sees the packages a gateway needs, so their absence below means something.
    expect(packages).toContain("fastify");
    expect(packages).toContain("undici");
    expect(OPTIONAL.filter((name) => packages.has(name))).toEqual([]);
    expect(modules).toContain("gateway/app.js");
    // Nor other subcommands' option tables (cli/program-for.ts).
    expect(modules).not.toContain("bench/options.js");
    expect(modules).not.toContain("mock/options.js");
    // Nor the --workers primary's machinery.
    expect(modules).not.toContain("gateway-process/workers.js");
    expect(modules.filter((module) => module.startsWith("ledger/"))).toEqual([]);
    expect(modules).not.toContain("serve/server.js");
  });

  it("a YAML config file loads yaml", async () => {
    dir ??= mkdtempSync(join(tmpdir(), "switchyard-imports-"));
    const config = join(dir, "gateway.yaml");
    writeFileSync(config, "log_level: warn\n");
    const { packages } = await loadedBy(["gateway", "--port", "0", "--config", config], "yaml");
    expect(packages).toContain("yaml");
  });

  it("a mock loads neither the gateway nor any optional package", async () => {
    const { packages, modules } = await loadedBy(["mock", "--port", "0"], "mock");
    expect(OPTIONAL.filter((name) => packages.has(name))).toEqual([]);
    expect(modules).toContain("mock/app.js");
    expect(modules).not.toContain("config/schema.js");
    // The Responses translator only with --native-apis responses.
    expect(modules).not.toContain("mock/responses-routes.js");
    expect(modules).not.toContain("bench/options.js");
    expect(modules.filter((module) => module.startsWith("gateway/"))).toEqual([]);
    expect(modules).not.toContain("serve/server.js");
  });
});
