import { describe, expect, it } from "vitest";
import { renderReportHtml } from "../../src/bench/report/report-html.js";
import { REPORT_SCHEMA } from "../../src/bench/report/report-types.js";
import { renderSummaryText } from "../../src/bench/report/summary-text.js";
import { sampleReport } from "./fixtures.js";

describe("buildReport", () => {
  const report = sampleReport();

  it("records the parameters (defaults filled, no API key), the machine and the window", () => {
    expect(report.schema).toBe(REPORT_SCHEMA);
    expect(report.durationS).toBe(10);
    expect(report.interrupted).toBe(false);
    expect(report.parameters).toEqual({
      url: "http://127.0.0.1:8080",
      protocol: "openai",
      models: [
        { model: "llama", share: 0.5 },
        { model: "qwen", share: 0.5 },
      ],
      stream: true,
      mode: "closed",
      concurrency: 4,
      durationS: 10,
      warmupS: 0,
      promptTokens: "128",
      outputTokens: "32-64",
      maxTokens: 64,
      slo: { ttftMs: 60 },
      timeoutS: 120,
      seed: 1,
    });
    expect(report.environment.cpuModel).toBe("Test CPU");
  });

  it("has every figure overall, per model (with its backends) and per backend", () => {
    expect(report.overall.requests).toEqual({ sent: 203, ok: 200, failed: 3, good: expect.any(Number) });
    expect(report.models.map((m) => m.model)).toEqual(["llama", "qwen"]);
    const [llama, qwen] = report.models;
    expect(llama!.requests.ok).toBe(100);
    expect(llama!.throughput.requestsPerS).toBe(10);
    expect(llama!.backends).toEqual({ "mock-1": 50, "mock-2": 50 });
    expect(qwen!.errors.byStatus).toEqual({ "503": 2 });
    expect(qwen!.errors.byKind).toEqual({ status: 2, timeout: 1 });
    // llama's TTFT is 30–59 ms, so all of it meets the 60 ms SLO; qwen's is 60–118 ms.
    expect(llama!.goodputRatio).toBe(1);
    expect(qwen!.requests.good).toBeLessThan(5);
    expect(report.backends.map((b) => b.backend)).toEqual(["mock-1", "mock-2"]);
    expect(report.backends[1]!.requests.failed).toBe(2);
    for (const key of ["ttftMs", "latencyMs", "interTokenMs", "tokensPerSecondPerRequest"] as const)
      expect(Object.keys(llama![key])).toEqual(["count", "min", "mean", "p50", "p90", "p99", "p999", "max"]);
  });

  it("carries the chart data and survives a JSON round trip", () => {
    const charts = report.models[0]!.charts;
    expect(charts.latencyCdf.length).toBeGreaterThan(100);
    expect(charts.ttftHistogram.bins.length).toBeGreaterThan(3);
    expect(charts.timeline).toHaveLength(10);
    expect(charts.timeline[0]).toMatchObject({ startS: 0, seconds: 1, ok: 10 });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe("renderReportHtml", () => {
  const html = renderReportHtml(sampleReport());

  it("is one self-contained page: no scripts, no external references", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
  });

  it("draws the four kinds of chart with data in them", () => {
    for (const title of [
      "Latency CDF",
      "TTFT histogram · llama",
      "TTFT histogram · qwen",
      "Throughput over time · output tokens/s",
      "Per-backend distribution",
    ])
      expect(html).toContain(`<figcaption>${title}</figcaption>`);
    const charts = html.match(/<svg class="chart"/g) ?? [];
    expect(charts).toHaveLength(6);
    expect((html.match(/<path class="series"/g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect((html.match(/<rect class="bar"/g) ?? []).length).toBeGreaterThan(10);
    expect(html).not.toContain("no data");
  });

  it("shows the summary, backends, errors and parameters", () => {
    expect(html).toContain("<td>llama</td>");
    expect(html).toContain("<td>mock-2</td>");
    expect(html).toContain("HTTP 503");
    expect(html).toContain("UND_ERR_HEADERS_TIMEOUT");
    expect(html).toContain("TTFT ≤ 60 ms");
  });

  it("escapes what came from outside", () => {
    const report = sampleReport();
    report.models[0]!.model = "<script>alert(1)</script>";
    const page = renderReportHtml(report);
    expect(page).not.toContain("<script>");
    expect(page).toContain("&#60;script&#62;");
  });

  it("says 'no data' for a chart with nothing to draw (TTFT without streaming)", () => {
    const report = sampleReport();
    for (const model of report.models)
      model.charts.ttftHistogram = { bins: [], overflow: { fromMs: 0, count: 0 } };
    expect(renderReportHtml(report)).toContain("no data");
  });
});

describe("renderSummaryText", () => {
  it("prints a row per model, an overall row, the backends and the errors", () => {
    const text = renderSummaryText(sampleReport());
    const lines = text.split("\n");
    expect(lines[0]).toContain("203 requests in 10.0 s");
    expect(lines.find((line) => line.startsWith("llama "))).toMatch(/\s100\s+0\s+10\.0\s/);
    expect(lines.find((line) => line.startsWith("all "))).toBeDefined();
    expect(lines.find((line) => line.startsWith("mock-2 "))).toBeDefined();
    expect(text).toContain("errors: status=2 timeout=1 HTTP 503=2 UND_ERR_HEADERS_TIMEOUT=1");
  });
});
