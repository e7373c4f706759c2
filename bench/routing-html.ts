/**
 * The HTML comparison report of `bench:routing`: the table, then per workload a chart per figure
 * with one bar per strategy, drawn with the bench report's SVG charts (self-contained, no scripts).
 * @module
 */
import { formatMs, formatPercent, formatRate, formatRatio } from "../src/bench/format.js";
import { barChart } from "../src/bench/report/charts.js";
import { type Cell, definitions, figure, num, page, table } from "../src/bench/report/html-page.js";
import { escapeXml } from "../src/bench/report/svg.js";
import type { RoutingResult, RoutingRow } from "./routing-table.js";

const HEADER: Cell[] = [
  "workload",
  "strategy",
  num("out tok/s"),
  num("TTFT p50 ms"),
  num("TTFT p99 ms"),
  num("latency p50 ms"),
  num("latency p99 ms"),
  num("goodput"),
  num("prefix hits"),
  num("max/mean load"),
  num("failed"),
];

function numberCell(value: number | null, format: (value: number) => string): Cell {
  return num(value === null ? "-" : format(value));
}

function rowCells(row: RoutingRow): Cell[] {
  return [
    row.workload,
    row.strategy,
    num(formatRate(row.outputTokensPerS)),
    numberCell(row.ttftP50Ms, formatMs),
    numberCell(row.ttftP99Ms, formatMs),
    numberCell(row.latencyP50Ms, formatMs),
    numberCell(row.latencyP99Ms, formatMs),
    num(formatPercent(row.goodput)),
    numberCell(row.prefixCacheHitRate, formatPercent),
    numberCell(row.maxMeanLoad ?? row.maxMeanRequests, formatRatio),
    num(String(row.failed)),
  ];
}

function workloadCharts(workload: string, rows: readonly RoutingRow[]): string {
  const categories = rows.map((row) => row.strategy);
  const bars = (title: string, yTitle: string, series: { name: string; values: number[] }[]) =>
    figure(title, barChart({ title, xTitle: "strategy", yTitle, categories, series }));
  const value = (pick: (row: RoutingRow) => number | null) => rows.map((row) => pick(row) ?? 0);
  return `<h2>${escapeXml(workload)}</h2><div class="charts">${[
    bars("Output throughput", "tokens/s", [
      { name: "output tok/s", values: value((r) => r.outputTokensPerS) },
    ]),
    bars("Time to first token", "ms", [
      { name: "p50", values: value((r) => r.ttftP50Ms) },
      { name: "p99", values: value((r) => r.ttftP99Ms) },
    ]),
    bars("End-to-end latency", "ms", [
      { name: "p50", values: value((r) => r.latencyP50Ms) },
      { name: "p99", values: value((r) => r.latencyP99Ms) },
    ]),
    bars("Goodput and prefix-cache hits", "%", [
      { name: "goodput", values: value((r) => r.goodput * 100) },
      { name: "prefix hits", values: value((r) => (r.prefixCacheHitRate ?? 0) * 100) },
    ]),
    bars("Busiest engine over the mean", "×", [
      { name: "max/mean load", values: value((r) => r.maxMeanLoad ?? r.maxMeanRequests) },
    ]),
  ].join("")}</div>`;
}

export function renderRoutingHtml(result: RoutingResult): string {
  const workloads = [...new Set(result.rows.map((row) => row.workload))];
  const engines = result.engineSim
    ? `${result.engines} simulated engines, run at ${result.wallRate} requests/s of wall clock; figures in engine time`
    : `${result.engines} plain mocks (no engine simulator in this build: every strategy looks alike)`;
  const body = [
    `<h1>switchyard bench:routing</h1><p class="meta">${escapeXml(`${result.startedAt} · ${engines}`)}</p>`,
    `<h2>Summary</h2>`,
    table(HEADER, result.rows.map(rowCells)),
    ...workloads.map((workload) =>
      workloadCharts(
        workload,
        result.rows.filter((row) => row.workload === workload),
      ),
    ),
    `<h2>Parameters</h2>${definitions([
      ["fleet", engines],
      ["window", `${result.requests} requests measured after ${result.warmup} unmeasured, per run`],
      [
        "goodput",
        `TTFT ≤ ${result.ttftSloMs} ms${result.admission ? "; the gateway sheds (429) what it cannot start in time" : ""}`,
      ],
      ["seed", String(result.seed)],
      ["skipped", result.skipped.length > 0 ? result.skipped.join(", ") : "none"],
    ])}`,
    `<footer>${escapeXml(result.schema)}</footer>`,
  ].join("\n");
  return page(`switchyard bench:routing · ${result.startedAt}`, body);
}
