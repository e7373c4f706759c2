/**
 * `bench:routing` end to end, in its smallest form: two strategies, one workload, two engines, a
 * second or two per run. It checks what the table and the JSON hold and how they are shaped, never
 * what the figures are (speed is for the bench itself). Needs `npm run build` first.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROUTING = fileURLToPath(new URL("../../dist/bench/routing.js", import.meta.url));

const NUMERIC = ["rate", "sent", "ok", "failed", "outputTokensPerS", "goodput"] as const;
const NUMERIC_OR_NULL = [
  "ttftP50Ms",
  "ttftP99Ms",
  "latencyP50Ms",
  "latencyP99Ms",
  "prefixCacheHitRate",
  "maxMeanLoad",
  "maxMeanRequests",
] as const;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ROUTING, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-16_384);
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("bench:routing", () => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-routing-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints one table row per strategy and writes the same rows as JSON and an HTML report", async () => {
    const json = join(dir, "routing.json");
    const html = join(dir, "routing.html");
    const strategies = ["round_robin", "least_connections"];
    const { code, stdout, stderr } = await run([
      "--quick",
      "--strategies",
      strategies.join(","),
      "--workloads",
      "chat",
      "--engines",
      "2",
      "--load",
      "0.2",
      "--json",
      json,
      "--html",
      html,
    ]);
    expect(code, stderr).toBe(0);

    const lines = stdout.split("\n");
    const header = lines.findIndex((line) => line.startsWith("workload"));
    expect(header, stdout).toBeGreaterThanOrEqual(0);
    for (const title of [
      "out tok/s",
      "TTFT p50",
      "TTFT p99",
      "latency p50",
      "latency p99",
      "goodput",
      "prefix hits",
      "max/mean load",
    ])
      expect(lines[header]).toContain(title);
    const rows = lines.slice(header + 2).filter((line) => line.startsWith("chat"));
    expect(rows.map((line) => line.split(/\s+/)[1])).toEqual(strategies);

    const result = JSON.parse(readFileSync(json, "utf8"));
    expect(result).toMatchObject({ schema: "switchyard-bench-routing/1", engines: 2, skipped: [] });
    expect(typeof result.engineSim).toBe("boolean");
    expect(result.rows).toHaveLength(strategies.length);
    result.rows.forEach((row: Record<string, unknown>, i: number) => {
      expect(row).toMatchObject({ workload: "chat", strategy: strategies[i] });
      for (const key of NUMERIC) expect(typeof row[key], key).toBe("number");
      for (const key of NUMERIC_OR_NULL)
        expect(row[key] === null || typeof row[key] === "number", key).toBe(true);
    });

    const page = readFileSync(html, "utf8");
    expect(page).toContain("<svg");
    for (const strategy of strategies) expect(page).toContain(strategy);
  }, 120_000);

  it("refuses a strategy it does not compare, naming it", async () => {
    const { code, stderr } = await run(["--strategies", "nonsense"]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/unknown strategy "nonsense"/);
  });
});
