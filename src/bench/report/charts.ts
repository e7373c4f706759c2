/**
 * The report's chart kinds, drawn as inline SVG: lines (CDFs, throughput over time), bars (grouped
 * or stacked, by category) and a histogram (equal-width bins plus an overflow bar). Each returns one
 * `<svg class="chart">` string; a chart with no data says so instead of drawing empty axes.
 * @module
 */
import type { BinnedDistribution } from "../stats/chart-data.js";
import {
  axes,
  colorAt,
  coord,
  DEFAULT_FRAME,
  escapeXml,
  type Frame,
  legend,
  niceTicks,
  plotArea,
  svg,
} from "./svg.js";

export interface Point {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: readonly Point[];
}

export interface LineChartInput {
  title: string;
  xTitle: string;
  yTitle: string;
  series: readonly LineSeries[];
  /** Fixed y range (a CDF's 0–100 %); otherwise from 0 to the data's maximum. */
  yRange?: [number, number];
  /** Where the x axis starts when the data starts later (0 for time since the start). */
  xMin?: number;
  frame?: Frame;
}

function emptyChart(frame: Frame, title: string): string {
  return svg(
    frame,
    title,
    `<text x="${frame.width / 2}" y="${frame.height / 2}" text-anchor="middle" fill="#64748b" font-size="13">no data</text>`,
  );
}

export function lineChart(input: LineChartInput): string {
  const frame = input.frame ?? DEFAULT_FRAME;
  const points = input.series.flatMap((series) => series.points);
  if (points.length === 0) return emptyChart(frame, input.title);
  const xs = points.map((point) => point.x);
  const ys = points.map((point) => point.y);
  const xTicks = niceTicks(Math.min(input.xMin ?? Number.POSITIVE_INFINITY, ...xs), Math.max(...xs));
  const yTicks = input.yRange
    ? niceTicks(input.yRange[0], input.yRange[1])
    : niceTicks(Math.min(0, ...ys), Math.max(...ys, 1e-9));
  const plot = plotArea(frame, xTicks, yTicks);
  const paths = input.series.map((series, index) => {
    if (series.points.length === 0) return "";
    const d = series.points
      .map((point, i) => `${i === 0 ? "M" : "L"}${coord(plot.x(point.x))} ${coord(plot.y(point.y))}`)
      .join("");
    return `<path class="series" d="${d}" fill="none" stroke="${colorAt(index)}" stroke-width="2" stroke-linejoin="round"><title>${escapeXml(series.name)}</title></path>`;
  });
  const names = input.series.map((series) => series.name);
  return svg(
    frame,
    input.title,
    axes(plot, input.xTitle, input.yTitle) + paths.join("") + legend(frame, names),
  );
}

export interface BarSeries {
  name: string;
  values: readonly number[];
}

export interface BarChartInput {
  title: string;
  xTitle: string;
  yTitle: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  /** Stack the series in each category instead of placing them side by side. */
  stacked?: boolean;
  frame?: Frame;
}

export function barChart(input: BarChartInput): string {
  const frame = input.frame ?? DEFAULT_FRAME;
  const { categories, series } = input;
  if (categories.length === 0 || series.length === 0) return emptyChart(frame, input.title);
  const totals = categories.map((_, c) =>
    input.stacked
      ? series.reduce((sum, s) => sum + (s.values[c] ?? 0), 0)
      : Math.max(...series.map((s) => s.values[c] ?? 0)),
  );
  const plot = plotArea(frame, [0, categories.length], niceTicks(0, Math.max(...totals, 1e-9)));
  const slot = plot.x(1) - plot.x(0);
  const barWidth = input.stacked ? slot * 0.6 : (slot * 0.7) / series.length;
  const rects: string[] = [];
  const labels: string[] = [];
  categories.forEach((category, c) => {
    let base = 0;
    series.forEach((s, i) => {
      const value = s.values[c] ?? 0;
      const x = input.stacked ? plot.x(c) + slot * 0.2 : plot.x(c) + slot * 0.15 + i * barWidth;
      const top = plot.y(base + value);
      const height = plot.y(base) - top;
      if (value > 0)
        rects.push(
          `<rect class="bar" x="${coord(x)}" y="${coord(top)}" width="${coord(Math.max(1, barWidth - 1))}" height="${coord(height)}" fill="${colorAt(i)}"><title>${escapeXml(`${s.name} · ${category}: ${value}`)}</title></rect>`,
        );
      if (input.stacked) base += value;
    });
    labels.push(
      `<text x="${coord(plot.x(c) + slot / 2)}" y="${frame.height - frame.bottom + 14}" text-anchor="middle" font-size="11" fill="#475569">${escapeXml(category)}</text>`,
    );
  });
  return svg(
    frame,
    input.title,
    axes(plot, input.xTitle, input.yTitle, categories) +
      rects.join("") +
      labels.join("") +
      legend(
        frame,
        series.map((s) => s.name),
      ),
  );
}

export interface HistogramChartInput {
  title: string;
  xTitle: string;
  distribution: BinnedDistribution;
  colorIndex?: number;
  frame?: Frame;
}

export function histogramChart(input: HistogramChartInput): string {
  const frame = input.frame ?? DEFAULT_FRAME;
  const { bins, overflow } = input.distribution;
  const first = bins[0];
  const last = bins.at(-1);
  if (!first || !last) return emptyChart(frame, input.title);
  const step = first.toMs - first.fromMs;
  // The overflow bar sits one bin-width past the last bin, so the x axis stays linear.
  const xMax = overflow.count > 0 ? last.toMs + step : last.toMs;
  const counts = [...bins.map((bin) => bin.count), overflow.count];
  const plot = plotArea(frame, niceTicks(first.fromMs, xMax), niceTicks(0, Math.max(...counts, 1)));
  const color = colorAt(input.colorIndex ?? 0);
  const bar = (from: number, to: number, count: number, label: string, fill: string) => {
    const top = plot.y(count);
    return `<rect class="bar" x="${coord(plot.x(from))}" y="${coord(top)}" width="${coord(Math.max(1, plot.x(to) - plot.x(from) - 1))}" height="${coord(plot.y(0) - top)}" fill="${fill}"><title>${escapeXml(label)}</title></rect>`;
  };
  const rects = bins
    .filter((bin) => bin.count > 0)
    .map((bin) => bar(bin.fromMs, bin.toMs, bin.count, `${bin.fromMs}–${bin.toMs} ms: ${bin.count}`, color));
  if (overflow.count > 0)
    rects.push(
      bar(
        last.toMs,
        last.toMs + step,
        overflow.count,
        `> ${overflow.fromMs} ms: ${overflow.count}`,
        "#94a3b8",
      ),
    );
  return svg(frame, input.title, axes(plot, input.xTitle, "requests") + rects.join(""));
}
