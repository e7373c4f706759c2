/**
 * `runBench` end to end in process: a real mock backend on port 0, the plain view into a buffer, and the
 * report written to a temporary directory. The counts are checked against the mock's own counters.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLength } from "../../src/bench/llm/lengths.js";
import type { BenchReport } from "../../src/bench/report/report-types.js";
import { runBench } from "../../src/bench/run-bench.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import { benchOptions } from "./fixtures.js";

let mock: RunningMock;
let dir: string;

beforeAll(async () => {
  mock = await startMock({ port: 0, firstTokenDelayMs: 20, tokenDelayMs: 1, models: ["m1", "m2"] });
  dir = await mkdtemp(join(tmpdir(), "bench-run-"));
});

afterAll(async () => {
  await mock.close();
  await rm(dir, { recursive: true, force: true });
});

async function mockCounts(): Promise<Record<string, number>> {
  const response = await fetch(`${mock.url}/mock/stats`);
  const stats = (await response.json()) as { requests: Record<string, number> };
  await fetch(`${mock.url}/mock/reset`, { method: "POST" });
  return stats.requests;
}

function capture() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return { stream, text: () => text };
}

describe("runBench against the mock", () => {
  it("streams OpenAI chat for two models, measures TTFT, and writes both report files", async () => {
    await mockCounts();
    const out = capture();
    const report: BenchReport = await runBench(
      benchOptions({
        url: mock.url,
        models: [
          { model: "m1", share: 0.75 },
          { model: "m2", share: 0.25 },
        ],
        requests: 40,
        durationS: 20,
        outputTokens: parseLength("8"),
        maxTokens: 8,
        slo: {},
        outDir: dir,
        intervalS: 0.2,
      }),
      { stdout: out.stream, stderr: new PassThrough() },
    );
    const counts = await mockCounts();
    expect(report.overall.requests).toMatchObject({ sent: 40, ok: 40, failed: 0, good: 40 });
    expect(counts.chat).toBe(40);
    expect(report.models.map((m) => m.requests.sent)).toEqual([30, 10]);
    expect(report.overall.ttftMs.p50).toBeGreaterThanOrEqual(19);
    expect(report.overall.ttftMs.p50).toBeLessThan(500);
    // 8 tokens a reply (the mock honours max_tokens), from the usage chunk.
    expect(report.overall.outputTokens.total).toBe(320);
    expect(report.overall.interTokenMs.count).toBe(40 * 7);
    expect(report.backends.map((b) => b.backend)).toEqual([`127.0.0.1:${mock.port}`]);
    const json = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as BenchReport;
    expect(json.overall.requests.ok).toBe(40);
    expect(await readFile(join(dir, "report.html"), "utf8")).toContain('<svg class="chart"');
    expect(out.text()).toContain("bench http://127.0.0.1");
    expect(out.text()).toMatch(/^m1\s+30\s+0\s/m);
  });

  it("speaks Anthropic messages without streaming, and counts refusals by status", async () => {
    await mockCounts();
    const report = await runBench(
      benchOptions({
        url: mock.url,
        models: [
          { model: "m1", share: 0.5 },
          { model: "unknown-model", share: 0.5 },
        ],
        protocol: "anthropic",
        stream: false,
        apiKey: "sk-bench",
        requests: 20,
        durationS: 20,
        outputTokens: parseLength("4"),
        slo: {},
      }),
      { stdout: new PassThrough(), stderr: new PassThrough() },
    );
    const counts = await mockCounts();
    expect(counts.messages).toBe(20);
    const [known, unknown] = report.models;
    expect(known!.requests).toMatchObject({ ok: 10, failed: 0 });
    expect(known!.outputTokens.total).toBe(40);
    expect(known!.ttftMs.count).toBe(0);
    expect(unknown!.requests).toMatchObject({ ok: 0, failed: 10 });
    expect(unknown!.errors.byStatus).toEqual({ "404": 10 });
  });

  it("draws prompts from a JSONL file", async () => {
    await mockCounts();
    const prompts = join(dir, "prompts.jsonl");
    await writeFile(prompts, '{"prompt": "one two three", "max_tokens": 3}\n');
    const report = await runBench(
      benchOptions({
        url: mock.url,
        models: [{ model: "m2", share: 1 }],
        requests: 5,
        promptsFile: prompts,
        slo: {},
      }),
      { stdout: new PassThrough(), stderr: new PassThrough() },
    );
    expect(report.overall.requests.ok).toBe(5);
    expect(report.overall.outputTokens.total).toBe(15);
    expect(report.parameters.promptsFile).toBe(prompts);
  });
});
