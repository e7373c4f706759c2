/**
 * How a comparison is shown: a plain-text table per group for the terminal, and `compare.html` with
 * the same tables coloured by verdict and charts of both runs overlaid (latency CDF, throughput over
 * time, key percentiles side by side).
 * @module
 */
import { formatCount, formatMs, formatPercent, formatRate, formatRatio, renderTable } from "../format.js";
import type { TimelineBucket } from "../stats/timeline.js";
import { barChart, lineChart } from "./charts.js";
import type { Comparison, MetricComparison } from "./compare.js";
import { figure, num, page, table } from "./html-page.js";
import { escapeXml } from "./svg.js";

function formatValue(metric: MetricComparison, value: number): string {
  switch (metric.unit) {
    case "fraction":
      return formatPercent(value);
    case "ms":
      return formatMs(value);
    case "count":
      return formatCount(value);
    default:
      return formatRate(value);
  }
}

/** A timeline bucket as a point at its middle, in output tokens per second. */
function tokenRate(bucket: TimelineBucket): { x: number; y: number } {
  return { x: bucket.startS + bucket.seconds / 2, y: bucket.outputTokens / bucket.seconds };
}

const MARK = { better: "better", worse: "worse", same: "" } as const;

/** The comparison as text: one table per group, labels A and B naming the files. */
export function renderComparisonText(comparison: Comparison, labelA: string, labelB: string): string {
  const parts = [`A: ${labelA}`, `B: ${labelB}`];
  for (const group of comparison.groups) {
    const rows = group.metrics.map((metric) => [
      metric.label,
      formatValue(metric, metric.a),
      formatValue(metric, metric.b),
      formatRatio(metric.ratio),
      MARK[metric.verdict],
    ]);
    parts.push(
      "",
      group.name,
      renderTable(["", "A", "B", "B/A", ""], rows, ["left", "right", "right", "right", "left"]),
    );
  }
  return parts.join("\n");
}

/** compare.html: the tables and the overlaid charts. */
export function renderComparisonHtml(comparison: Comparison, labelA: string, labelB: string): string {
  const { a, b } = comparison;
  const tables = comparison.groups.map((group) => {
    const rows = group.metrics.map((metric) => [
      metric.label,
      num(formatValue(metric, metric.a)),
      num(formatValue(metric, metric.b)),
      num(formatRatio(metric.ratio), metric.verdict === "same" ? undefined : metric.verdict),
    ]);
    return `<h2>${escapeXml(group.name)}</h2>${table(["", num("A"), num("B"), num("B / A")], rows)}`;
  });
  const cdf = lineChart({
    title: "Latency CDF, A and B",
    xTitle: "end-to-end latency (ms)",
    yTitle: "requests ≤ latency (%)",
    yRange: [0, 100],
    series: [
      { name: "A", points: a.overall.charts.latencyCdf.map((p) => ({ x: p.ms, y: p.fraction * 100 })) },
      { name: "B", points: b.overall.charts.latencyCdf.map((p) => ({ x: p.ms, y: p.fraction * 100 })) },
    ],
  });
  const throughput = lineChart({
    title: "Output tokens per second, A and B",
    xTitle: "time (s)",
    xMin: 0,
    yTitle: "tokens/s",
    series: [
      { name: "A", points: a.overall.charts.timeline.map(tokenRate) },
      { name: "B", points: b.overall.charts.timeline.map(tokenRate) },
    ],
  });
  const keys = ["TTFT p50 (ms)", "TTFT p99 (ms)", "latency p50 (ms)", "latency p99 (ms)"];
  const overall = comparison.groups[0]?.metrics ?? [];
  const picked = keys.map((key) => overall.find((metric) => metric.label === key));
  const percentiles = barChart({
    title: "Percentiles, A and B",
    xTitle: "",
    yTitle: "ms",
    categories: keys.map((key) => key.replace(" (ms)", "")),
    series: [
      { name: "A", values: picked.map((metric) => metric?.a ?? 0) },
      { name: "B", values: picked.map((metric) => metric?.b ?? 0) },
    ],
  });
  const body = [
    `<h1>switchyard bench · comparison</h1>`,
    `<p class="meta">A: ${escapeXml(labelA)} (${escapeXml(a.startedAt)})<br>B: ${escapeXml(labelB)} (${escapeXml(b.startedAt)})</p>`,
    `<h2>Charts</h2><section class="charts">${figure("Latency CDF", cdf)}${figure("Throughput over time", throughput)}${figure("Key percentiles", percentiles)}</section>`,
    ...tables,
    `<footer>B / A: green is better for B, red is worse, uncoloured within 2 %.</footer>`,
  ].join("\n");
  return page("switchyard bench · comparison", body);
}
