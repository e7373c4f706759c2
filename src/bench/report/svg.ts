/**
 * The few SVG pieces the report's charts are made of: escaping, linear scales with round ticks, a
 * plot frame with gridlines and labelled axes, and a legend. Strings in, strings out; no DOM, no
 * external assets, so the report renders the same offline and in any browser.
 * @module
 */
import { niceStep } from "../stats/chart-data.js";

/** The series colours, in order (distinguishable for the common colour-vision deficiencies). */
export const PALETTE = [
  "#2563eb",
  "#ea580c",
  "#16a34a",
  "#9333ea",
  "#dc2626",
  "#0891b2",
  "#ca8a04",
  "#4b5563",
];

export function colorAt(index: number): string {
  return PALETTE[index % PALETTE.length] ?? "#2563eb";
}

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A number short enough for an SVG coordinate. */
export function coord(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

/** Round tick values covering `[min, max]`, about `count` of them; the domain grows to the outer ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const low = Number.isFinite(min) ? min : 0;
  const high = Number.isFinite(max) && max > low ? max : low + 1;
  const step = niceStep((high - low) / count);
  const first = Math.floor(low / step) * step;
  const ticks: number[] = [];
  for (let tick = first; tick <= high + step * 1e-9; tick += step) ticks.push(Math.round(tick / step) * step);
  if ((ticks.at(-1) ?? first) < high) ticks.push((ticks.at(-1) ?? first) + step);
  return ticks;
}

/** A tick label: no trailing zeros, thousands as `k`. */
export function tickLabel(value: number): string {
  if (Math.abs(value) >= 10_000) return `${Number((value / 1000).toFixed(1))}k`;
  return String(Number(value.toPrecision(4)));
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_FRAME: Frame = { width: 560, height: 300, left: 56, right: 16, top: 28, bottom: 44 };

/** Maps data to pixels inside the frame's plot area. */
export interface Plot {
  frame: Frame;
  xTicks: number[];
  yTicks: number[];
  x(value: number): number;
  y(value: number): number;
}

export function plotArea(frame: Frame, xTicks: number[], yTicks: number[]): Plot {
  const x0 = xTicks[0] ?? 0;
  const x1 = xTicks.at(-1) ?? 1;
  const y0 = yTicks[0] ?? 0;
  const y1 = yTicks.at(-1) ?? 1;
  const innerWidth = frame.width - frame.left - frame.right;
  const innerHeight = frame.height - frame.top - frame.bottom;
  return {
    frame,
    xTicks,
    yTicks,
    x: (value) => frame.left + ((value - x0) / (x1 - x0 || 1)) * innerWidth,
    y: (value) => frame.top + innerHeight - ((value - y0) / (y1 - y0 || 1)) * innerHeight,
  };
}

/** Gridlines, tick labels and axis titles. `xLabels` replaces numeric x ticks (bar charts). */
export function axes(plot: Plot, xTitle: string, yTitle: string, xLabels?: readonly string[]): string {
  const { frame } = plot;
  const bottom = frame.height - frame.bottom;
  const parts: string[] = ['<g class="axes" font-size="11" fill="#475569">'];
  for (const tick of plot.yTicks) {
    const y = coord(plot.y(tick));
    parts.push(
      `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${y}" y2="${y}" stroke="#e2e8f0"/>`,
      `<text x="${frame.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(tick)}</text>`,
    );
  }
  if (!xLabels) {
    for (const tick of plot.xTicks) {
      const x = coord(plot.x(tick));
      parts.push(
        `<line x1="${x}" x2="${x}" y1="${frame.top}" y2="${bottom}" stroke="#f1f5f9"/>`,
        `<text x="${x}" y="${bottom + 14}" text-anchor="middle">${tickLabel(tick)}</text>`,
      );
    }
  }
  parts.push(
    `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${bottom}" y2="${bottom}" stroke="#94a3b8"/>`,
    `<text x="${coord((frame.left + frame.width - frame.right) / 2)}" y="${frame.height - 6}" text-anchor="middle">${escapeXml(xTitle)}</text>`,
    `<text transform="translate(12 ${coord((frame.top + bottom) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yTitle)}</text>`,
    "</g>",
  );
  return parts.join("");
}

/** A one-row legend along the top edge. */
export function legend(frame: Frame, names: readonly string[]): string {
  if (names.length <= 1) return "";
  let x = frame.left;
  const items = names.map((name, index) => {
    const item = `<rect x="${coord(x)}" y="8" width="10" height="10" fill="${colorAt(index)}"/><text x="${coord(x + 14)}" y="17">${escapeXml(name)}</text>`;
    x += 24 + name.length * 6.5;
    return item;
  });
  return `<g class="legend" font-size="11" fill="#1e293b">${items.join("")}</g>`;
}

/** The `<svg>` element around a chart's body. */
export function svg(frame: Frame, title: string, body: string): string {
  return (
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeXml(title)}" ` +
    `font-family="system-ui, sans-serif">${body}</svg>`
  );
}
