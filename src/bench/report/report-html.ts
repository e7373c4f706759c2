/**
 * `report.html`: one self-contained page per run with the summary per model, the charts (latency CDF,
 * TTFT histogram, throughput over time, per-backend distribution), the backends, the errors, and the
 * run's parameters and machine. Everything comes from the `BenchReport`, so an old report.json can be
 * re-rendered.
 * @module
 */
import { formatCount, formatPercent, formatRate, formatSummaryMs } from "../format.js";
import type { GroupSummary } from "../stats/group-stats.js";
import { barChart, histogramChart, lineChart } from "./charts.js";
import { type Cell, definitions, figure, num, page, table } from "./html-page.js";
import type { BenchReport } from "./report-types.js";
import { prefixCacheLine } from "./summary-text.js";
import { escapeXml } from "./svg.js";

const SUMMARY_HEADER: Cell[] = [
  "",
  num("ok"),
  num("failed"),
  num("req/s"),
  num("out tok/s"),
  num("goodput"),
  num("TTFT p50"),
  num("TTFT p99"),
  num("latency p50"),
  num("latency p99"),
  num("ITL p50"),
  num("ITL p99"),
];

/** One summary row: counts, rates and the percentiles in ms. */
export function summaryCells(name: string, group: GroupSummary): Cell[] {
  return [
    name,
    num(String(group.requests.ok)),
    num(String(group.requests.failed)),
    num(formatRate(group.throughput.requestsPerS)),
    num(formatRate(group.throughput.outputTokensPerS)),
    num(formatPercent(group.goodputRatio)),
    num(formatSummaryMs(group.ttftMs, "p50")),
    num(formatSummaryMs(group.ttftMs, "p99")),
    num(formatSummaryMs(group.latencyMs, "p50")),
    num(formatSummaryMs(group.latencyMs, "p99")),
    num(formatSummaryMs(group.interTokenMs, "p50")),
    num(formatSummaryMs(group.interTokenMs, "p99")),
  ];
}

function chartsSection(report: BenchReport): string {
  const models = report.models;
  const latencyCdf = lineChart({
    title: "Latency CDF",
    xTitle: "end-to-end latency (ms)",
    yTitle: "requests ≤ latency (%)",
    yRange: [0, 100],
    series: models.map((m) => ({
      name: m.model,
      points: m.charts.latencyCdf.map((p) => ({ x: p.ms, y: p.fraction * 100 })),
    })),
  });
  const ttft = models.map((m, index) =>
    figure(
      models.length > 1 ? `TTFT histogram · ${m.model}` : "TTFT histogram",
      histogramChart({
        title: `TTFT histogram ${m.model}`,
        xTitle: "time to first token (ms)",
        distribution: m.charts.ttftHistogram,
        colorIndex: index,
      }),
    ),
  );
  const throughput = (field: "outputTokens" | "ok", title: string, yTitle: string) =>
    lineChart({
      title,
      xTitle: "time (s)",
      xMin: 0,
      yTitle,
      series: models.map((m) => ({
        name: m.model,
        points: m.charts.timeline.map((bucket) => ({
          x: bucket.startS + bucket.seconds / 2,
          y: bucket[field] / bucket.seconds,
        })),
      })),
    });
  const backendNames = report.backends.map((b) => b.backend);
  const perBackend = barChart({
    title: "Requests per backend",
    xTitle: "backend",
    yTitle: "requests",
    categories: backendNames,
    stacked: true,
    series: models.map((m) => ({ name: m.model, values: backendNames.map((b) => m.backends[b] ?? 0) })),
  });
  return `<section class="charts">${[
    figure("Latency CDF", latencyCdf),
    ...ttft,
    figure(
      "Throughput over time · output tokens/s",
      throughput("outputTokens", "Output tokens per second", "tokens/s"),
    ),
    figure(
      "Throughput over time · completed requests/s",
      throughput("ok", "Requests per second", "requests/s"),
    ),
    figure("Per-backend distribution", perBackend),
  ].join("")}</section>`;
}

function errorsSection(report: BenchReport): string {
  const rows: Cell[][] = [];
  for (const m of report.models) {
    for (const [kind, count] of Object.entries(m.errors.byKind))
      rows.push([m.model, kind, num(String(count))]);
    for (const [status, count] of Object.entries(m.errors.byStatus))
      rows.push([m.model, `HTTP ${status}`, num(String(count))]);
    for (const [code, count] of Object.entries(m.errors.byCode))
      rows.push([m.model, code, num(String(count))]);
  }
  if (rows.length === 0) return "";
  return `<h2>Errors</h2>${table(["model", "kind / status / code", num("count")], rows)}`;
}

function workloadText(p: BenchReport["parameters"]): string {
  if (!p.workload) return "synthetic";
  return p.sessions === undefined ? p.workload : `${p.workload}, ${p.sessions} sessions open at once`;
}

function parametersSection(report: BenchReport): string {
  const p = report.parameters;
  const e = report.environment;
  const load =
    p.mode === "open"
      ? `open loop, ${p.rate} req/s (${p.arrivals}), at most ${p.concurrency} in flight`
      : `closed loop, ${p.concurrency} concurrent`;
  const slo = [
    p.slo.ttftMs !== undefined ? `TTFT ≤ ${p.slo.ttftMs} ms` : "",
    p.slo.latencyMs !== undefined ? `latency ≤ ${p.slo.latencyMs} ms` : "",
  ].filter(Boolean);
  return `<h2>Parameters</h2>${definitions([
    ["target", `${p.url} (${p.protocol}${p.stream ? ", streaming" : ""})`],
    ["models", p.models.map((m) => `${m.model} (${formatPercent(m.share)})`).join(", ")],
    ["load", load],
    [
      "duration",
      `${p.durationS} s${p.requests !== undefined ? `, at most ${p.requests} requests` : ""}, warm-up ${p.warmupS} s`,
    ],
    ["workload", workloadText(p)],
    ["prompt tokens", p.promptsFile ? `from ${p.promptsFile}` : p.promptTokens],
    ["output tokens", `${p.outputTokens} (max_tokens ≤ ${p.maxTokens})`],
    ["SLO (goodput)", slo.length > 0 ? slo.join(", ") : "none: every success counts"],
    ["seed", String(p.seed)],
  ])}<h2>Machine</h2>${definitions([
    ["switchyard", e.switchyard],
    ["node", e.node],
    ["os", `${e.platform} ${e.osRelease} (${e.arch})`],
    ["cpu", `${e.cpuCount} × ${e.cpuModel}`],
    ["memory", `${formatCount(e.memoryBytes / 2 ** 30, 1)} GiB`],
  ])}`;
}

function prefixCacheParagraph(report: BenchReport): string {
  const line = prefixCacheLine(report);
  return line ? `<p>${escapeXml(line)}</p>` : "";
}

/** The whole page for one run. */
export function renderReportHtml(report: BenchReport): string {
  const p = report.parameters;
  const interrupted = report.interrupted ? " · interrupted" : "";
  const header = `<h1>switchyard bench</h1><p class="meta">${escapeXml(
    `${p.url} · ${report.startedAt} · ${report.durationS.toFixed(1)} s measured${interrupted}`,
  )}</p>`;
  const summary = table(
    SUMMARY_HEADER,
    report.models.map((m) => summaryCells(m.model, m)),
    report.models.length > 1 ? summaryCells("all", report.overall) : undefined,
  );
  const backends = table(
    SUMMARY_HEADER.map((c, i) => (i === 0 ? "backend" : c)),
    report.backends.map((b) => summaryCells(b.backend, b)),
  );
  const body = [
    header,
    `<h2>Summary <small>(times in ms)</small></h2>`,
    summary,
    prefixCacheParagraph(report),
    `<h2>Charts</h2>`,
    chartsSection(report),
    `<h2>Backends</h2>`,
    backends,
    errorsSection(report),
    parametersSection(report),
    `<footer>switchyard ${escapeXml(report.environment.switchyard)} · ${escapeXml(report.schema)}</footer>`,
  ].join("\n");
  return page(`switchyard bench · ${p.url} · ${report.startedAt}`, body);
}
