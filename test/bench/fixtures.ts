/**
 * Builders for the bench's unit tests: request samples, a filled `BenchStats`, and a whole report
 * built the way a run builds it (with a fixed environment so tests do not depend on the machine).
 */
import { parseLength } from "../../src/bench/llm/lengths.js";
import type { BenchOptions } from "../../src/bench/options.js";
import { buildReport } from "../../src/bench/report/build-report.js";
import type { BenchEnvironment, BenchReport } from "../../src/bench/report/report-types.js";
import { BenchStats } from "../../src/bench/stats/bench-stats.js";
import type { Slo } from "../../src/bench/stats/group-stats.js";
import type { RequestSample } from "../../src/bench/stats/request-sample.js";

export function sample(overrides: Partial<RequestSample> = {}): RequestSample {
  return {
    model: "m",
    backend: "b1",
    endedAtMs: 500,
    ok: true,
    latencyMs: 100,
    ttftMs: 20,
    interTokenMs: [5, 5, 5, 5],
    outputTokens: 5,
    ...overrides,
  };
}

export const ENVIRONMENT: BenchEnvironment = {
  switchyard: "0.0.0-test",
  node: "v20.0.0",
  platform: "linux",
  arch: "x64",
  osRelease: "6.0",
  cpuModel: "Test CPU",
  cpuCount: 2,
  memoryBytes: 8 * 2 ** 30,
  hostname: "test",
};

export function benchOptions(overrides: Partial<BenchOptions> = {}): BenchOptions {
  return {
    url: "http://127.0.0.1:8080",
    models: [
      { model: "llama", share: 0.5 },
      { model: "qwen", share: 0.5 },
    ],
    protocol: "openai",
    stream: true,
    mode: { kind: "closed", concurrency: 4 },
    durationS: 10,
    warmupS: 0,
    promptTokens: parseLength("128"),
    outputTokens: parseLength("32-64"),
    maxTokens: 64,
    workload: "synthetic",
    engineMetrics: [],
    slo: { ttftMs: 60 },
    view: "plain",
    intervalS: 2,
    timeoutS: 120,
    seed: 1,
    ...overrides,
  };
}

/**
 * Ten seconds of two models over two backends: llama answers in ~100 ms with TTFT ~30–60 ms,
 * qwen is twice as slow; qwen also has two 503s and a timeout.
 */
export function filledStats(slo: Slo = { ttftMs: 60 }, slowdown = 1): BenchStats {
  const stats = new BenchStats(["llama", "qwen"], slo);
  for (let i = 0; i < 200; i++) {
    const llama = i % 2 === 0;
    const factor = (llama ? 1 : 2) * slowdown;
    stats.record(
      sample({
        model: llama ? "llama" : "qwen",
        backend: i % 4 < 2 ? "mock-1" : "mock-2",
        endedAtMs: i * 50,
        latencyMs: (90 + (i % 20)) * factor,
        ttftMs: (30 + (i % 30)) * factor,
        interTokenMs: [2 * factor, 3 * factor, 2 * factor],
        outputTokens: 4,
      }),
    );
  }
  stats.record(
    sample({ model: "qwen", backend: "mock-2", ok: false, error: { kind: "status", status: 503 } }),
  );
  stats.record(
    sample({ model: "qwen", backend: "mock-2", ok: false, error: { kind: "status", status: 503 } }),
  );
  stats.record(
    sample({
      model: "qwen",
      backend: "127.0.0.1:8080",
      ok: false,
      error: { kind: "timeout", code: "UND_ERR_HEADERS_TIMEOUT" },
    }),
  );
  return stats;
}

export function sampleReport(slowdown = 1): BenchReport {
  const options = benchOptions();
  return buildReport({
    options,
    stats: filledStats(options.slo, slowdown),
    elapsedMs: 10_000,
    startedAt: new Date("2026-01-02T03:04:05Z"),
    finishedAt: new Date("2026-01-02T03:04:15Z"),
    interrupted: false,
    environment: ENVIRONMENT,
  });
}
