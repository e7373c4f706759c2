/**
 * The HTML shell both reports share: one self-contained page (inline CSS, inline SVG, no scripts, no
 * fonts or images fetched), with helpers for tables, figures and definition lists.
 * @module
 */
import { escapeXml } from "./svg.js";

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; margin: 0; background: #f8fafc; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
p.meta { color: #475569; margin: 0; }
table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0f172a14; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid #e2e8f0; white-space: nowrap; }
th { background: #f1f5f9; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; }
tr.total td { font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; padding: 12px; box-shadow: 0 1px 2px #0f172a14; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { display: block; max-width: 100%; height: auto; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; background: #fff; padding: 12px; margin: 0; box-shadow: 0 1px 2px #0f172a14; }
dt { color: #475569; } dd { margin: 0; font-variant-numeric: tabular-nums; }
.better { color: #15803d; } .worse { color: #b91c1c; }
footer { color: #64748b; margin-top: 32px; font-size: 12px; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** A cell: plain text, or `{ text, numeric, className }`; text is escaped. */
export type Cell = string | { text: string; numeric?: boolean; className?: string };

function cell(tag: "td" | "th", value: Cell): string {
  if (typeof value === "string") return `<${tag}>${escapeXml(value)}</${tag}>`;
  const classes = [value.numeric ? "num" : "", value.className ?? ""].filter(Boolean).join(" ");
  return `<${tag}${classes ? ` class="${classes}"` : ""}>${escapeXml(value.text)}</${tag}>`;
}

/** A number cell (right-aligned). */
export function num(text: string, className?: string): Cell {
  return className ? { text, numeric: true, className } : { text, numeric: true };
}

export function table(
  header: readonly Cell[],
  rows: readonly (readonly Cell[])[],
  totalRow?: readonly Cell[],
): string {
  const head = `<tr>${header.map((value) => cell("th", value)).join("")}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((value) => cell("td", value)).join("")}</tr>`);
  if (totalRow) body.push(`<tr class="total">${totalRow.map((value) => cell("td", value)).join("")}</tr>`);
  return `<table><thead>${head}</thead><tbody>${body.join("")}</tbody></table>`;
}

/** A chart with its caption; `chart` is trusted SVG from charts.ts. */
export function figure(caption: string, chart: string): string {
  return `<figure><figcaption>${escapeXml(caption)}</figcaption>${chart}</figure>`;
}

export function definitions(entries: readonly (readonly [string, string])[]): string {
  return `<dl>${entries.map(([term, value]) => `<dt>${escapeXml(term)}</dt><dd>${escapeXml(value)}</dd>`).join("")}</dl>`;
}
