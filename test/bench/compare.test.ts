import { describe, expect, it } from "vitest";
import { asBenchReport, compareReports, verdictOf } from "../../src/bench/report/compare.js";
import { renderComparisonHtml, renderComparisonText } from "../../src/bench/report/compare-output.js";
import { sampleReport } from "./fixtures.js";

describe("compareReports", () => {
  const a = sampleReport(1);
  const b = sampleReport(2); // every time doubled
  const comparison = compareReports(a, b);

  it("compares the whole runs and each model both ran", () => {
    expect(comparison.groups.map((group) => group.name)).toEqual(["all requests", "llama", "qwen"]);
  });

  it("gives B / A ratios with verdicts by the figure's direction", () => {
    const llama = comparison.groups[1]!;
    const ttft = llama.metrics.find((metric) => metric.label === "TTFT p50 (ms)")!;
    expect(ttft.ratio).toBeCloseTo(2, 1);
    expect(ttft.verdict).toBe("worse");
    const rate = llama.metrics.find((metric) => metric.label === "requests/s")!;
    expect(rate.ratio).toBe(1);
    expect(rate.verdict).toBe("same");
    const speed = llama.metrics.find((metric) => metric.label === "tokens/s per request p50")!;
    expect(speed.ratio).toBeCloseTo(0.5, 1);
    expect(speed.verdict).toBe("worse");
  });

  it("judges direction, sameness within 2 % and zero baselines", () => {
    expect(verdictOf(100, 101, "lower")).toBe("same");
    expect(verdictOf(100, 90, "lower")).toBe("better");
    expect(verdictOf(100, 90, "higher")).toBe("worse");
    expect(verdictOf(0, 3, "lower")).toBe("worse");
    expect(verdictOf(0, 0, "lower")).toBe("same");
  });

  it("prints a table per group with the ratio column", () => {
    const text = renderComparisonText(comparison, "a.json", "b.json");
    expect(text).toContain("A: a.json");
    const line = text.split("\n").find((l) => l.startsWith("latency p50 (ms)"))!;
    expect(line).toMatch(/2\.0\d×\s+worse$/);
  });

  it("renders compare.html with overlaid charts and coloured ratios", () => {
    const html = renderComparisonHtml(comparison, "a.json", "b.json");
    expect((html.match(/<svg class="chart"/g) ?? []).length).toBe(3);
    expect(html).toContain('class="num worse"');
    expect(html).not.toMatch(/<script/);
  });

  it("refuses files that are not bench reports", () => {
    expect(() => asBenchReport({ schema: "other" }, "x.json")).toThrow(
      /x\.json is not a switchyard bench report/,
    );
    expect(asBenchReport(JSON.parse(JSON.stringify(a)), "a.json").models).toHaveLength(2);
  });
});
