/**
 * `switchyard bench` as a user runs it: against `switchyard cluster` (three mocks with a 50 ms first-token
 * delay behind the gateway) for a few seconds. The report's counts must match the mocks' own counters and
 * its TTFT must show the delay; the HTML report must render its charts in headless Chromium; and seed
 * 003's form (`bench PORT --config FILE --no-curses`) must stop on Ctrl-C and still write its report.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchReport } from "../../src/bench/report/report-types.js";
import {
  launchChromium,
  MEASURE_CHARTS,
  type RenderedChart,
  shouldRunBrowserTests,
} from "../bench/chromium.js";
import { CLI_PATH, type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";

const ARTIFACTS = fileURLToPath(new URL("../.tmp/", import.meta.url));

let cluster: CliProcess;
let gateway: string;
let dir: string;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; `onStdout` may act on the output as it comes (e.g. send Ctrl-C). */
function runCli(args: string[], onStdout?: (text: string, signal: (name: NodeJS.Signals) => void) => void) {
  return new Promise<Finished>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      onStdout?.(stdout, (name) => child.kill(name));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function chatCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const backend of cluster.ready.filter((line) => line.role === "backend")) {
    const stats = (await (await fetch(`${backend.url}/mock/stats`)).json()) as { requests: { chat: number } };
    counts[backend.id] = stats.requests.chat;
  }
  return counts;
}

beforeAll(async () => {
  cluster = await startCli(
    [
      "cluster",
      "--num-backends",
      "3",
      "--backend-base-port",
      "0",
      "--lb-port",
      "0",
      "--quiet",
      "--first-token-delay-ms",
      "50",
      "--token-delay-ms",
      "1",
    ],
    { readyCount: 4 },
  );
  gateway = cluster.ready.find((line) => line.role === "gateway")!.url;
  dir = await mkdtemp(join(tmpdir(), "bench-e2e-"));
});

afterAll(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

describe("switchyard bench against switchyard cluster", () => {
  let report: BenchReport;

  it("writes a report whose counts match the mocks' and whose TTFT shows the 50 ms delay", async () => {
    const before = await chatCounts();
    const out = join(dir, "run");
    const run = await runCli([
      "bench",
      "--url",
      gateway,
      "--model",
      "mock-model",
      "--duration",
      "3",
      "--concurrency",
      "6",
      "--max-tokens",
      "16",
      "--out",
      out,
      "--no-tui",
      "--interval",
      "1",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\] mock-model: \d+ ok/);
    expect(run.stdout).toContain(`report: ${join(out, "report.json")}`);
    const after = await chatCounts();
    report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as BenchReport;

    const served = Object.keys(after).map((id) => (after[id] ?? 0) - (before[id] ?? 0));
    const total = served.reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThan(20);
    expect(report.overall.requests.sent).toBe(total);
    expect(report.overall.requests.ok).toBe(total);
    expect(report.models[0]!.requests.sent).toBe(total);
    // Per backend, from x-routed-node, against each mock's own counter.
    for (const [id, count] of Object.entries(after))
      expect(report.backends.find((b) => b.backend === id)?.requests.sent).toBe(count - (before[id] ?? 0));

    expect(report.overall.ttftMs.p50).toBeGreaterThanOrEqual(40);
    expect(report.overall.ttftMs.p50).toBeLessThanOrEqual(200);
    expect(report.overall.latencyMs.p50).toBeGreaterThan(report.overall.ttftMs.p50);
    expect(report.overall.outputTokens.total).toBeGreaterThan(0);
    expect(report.durationS).toBeGreaterThan(2.5);
  });

  it.runIf(shouldRunBrowserTests())("renders the HTML report's charts in headless Chromium", async () => {
    expect(report, "the bench run above must have written a report").toBeDefined();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const blocked: string[] = [];
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) blocked.push(request.url());
      });
      await page.goto(`file://${join(dir, "run", "report.html")}`);
      const charts = (await page.evaluate(MEASURE_CHARTS)) as RenderedChart[];
      expect(charts.map((chart) => chart.label)).toEqual([
        "Latency CDF",
        "TTFT histogram mock-model",
        "Output tokens per second",
        "Requests per second",
        "Requests per backend",
      ]);
      for (const chart of charts) {
        expect(chart.width, chart.label).toBeGreaterThan(200);
        expect(chart.height, chart.label).toBeGreaterThan(100);
        expect(chart.marks, chart.label).toBeGreaterThan(0);
      }
      expect(blocked).toEqual([]);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "bench-report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("takes the two-model router's form, stops on Ctrl-C and still writes the report", async () => {
    const port = new URL(gateway).port;
    const config = join(dir, "two_models_config.json");
    await writeFile(
      config,
      JSON.stringify({ models: { "mock-model": { endpoint: { host: "127.0.0.1", port: Number(port) } } } }),
    );
    const out = join(dir, "interrupted");
    let sent = false;
    const run = await runCli(
      [
        "bench",
        port,
        "--config",
        config,
        "--no-curses",
        "--duration",
        "30",
        "--interval",
        "0.5",
        "--out",
        out,
      ],
      (text, signal) => {
        if (!sent && text.includes("] mock-model:")) {
          sent = true;
          signal("SIGINT");
        }
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("stopping");
    const interrupted = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as BenchReport;
    expect(interrupted.interrupted).toBe(true);
    expect(interrupted.durationS).toBeLessThan(10);
    expect(interrupted.overall.requests.ok).toBeGreaterThan(0);
    expect(interrupted.overall.requests.failed).toBe(0);
    expect(interrupted.parameters.configFile).toBe(config);
  });
});
