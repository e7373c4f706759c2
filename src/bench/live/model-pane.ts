/**
 * One model's pane in the live view (the two-model router's split screen, one column per model): counts, current
 * rates, a p50/p90/p99 table for TTFT, latency and inter-token latency, a throughput sparkline, errors
 * by kind and the spread over backends. Written with `createElement` because the project compiles no
 * JSX.
 * @module
 */
import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { formatCount, formatMs, formatRate } from "../format.js";
import type { ModelFigures, Percentiles } from "./live-figures.js";
import { sparkline } from "./sparkline.js";

const LABEL_WIDTH = 9;
const CELL_WIDTH = 9;

function cell(text: string, bold = false): ReactElement {
  return h(Box, { width: CELL_WIDTH, justifyContent: "flex-end" }, h(Text, { bold }, text));
}

function percentileRow(label: string, values: Percentiles): ReactElement {
  return h(
    Box,
    null,
    h(Box, { width: LABEL_WIDTH }, h(Text, { dimColor: true }, label)),
    cell(formatMs(values.p50)),
    cell(formatMs(values.p90)),
    cell(formatMs(values.p99)),
  );
}

function summaryLine(items: readonly { label: string; count: number }[], empty: string): string {
  return items.length === 0
    ? empty
    : items.map((item) => `${item.label} ${formatCount(item.count)}`).join(" · ");
}

export interface ModelPaneProps {
  figures: ModelFigures;
  /** Characters available for the sparkline. */
  sparkWidth: number;
}

export function ModelPane({ figures, sparkWidth }: ModelPaneProps): ReactElement {
  const hasErrors = figures.errors.length > 0;
  return h(
    Box,
    {
      flexDirection: "column",
      borderStyle: "round",
      borderColor: "cyan",
      paddingX: 1,
      flexGrow: 1,
      flexBasis: 0,
    },
    h(Text, { bold: true, color: "cyan", wrap: "truncate-end" }, figures.model),
    h(
      Text,
      null,
      "done ",
      h(Text, { bold: true, color: "green" }, String(figures.done)),
      "  failed ",
      h(Text, { bold: true, color: figures.failed > 0 ? "red" : undefined }, String(figures.failed)),
    ),
    h(
      Text,
      null,
      "rate ",
      h(Text, { bold: true }, formatRate(figures.ratePerS)),
      " req/s  out ",
      h(Text, { bold: true }, formatCount(figures.outputTokensPerS, 1)),
      " tok/s",
    ),
    h(
      Box,
      { marginTop: 1 },
      h(Box, { width: LABEL_WIDTH }, h(Text, { dimColor: true }, "ms")),
      cell("p50", true),
      cell("p90", true),
      cell("p99", true),
    ),
    percentileRow("TTFT", figures.ttftMs),
    percentileRow("latency", figures.latencyMs),
    percentileRow("ITL", figures.interTokenMs),
    h(
      Box,
      { marginTop: 1 },
      h(Text, { dimColor: true }, "tok/s "),
      h(Text, { color: "green" }, sparkline(figures.throughputHistory, sparkWidth) || " "),
    ),
    h(
      Text,
      { wrap: "wrap" },
      h(Text, { dimColor: true }, "errors "),
      h(Text, { color: hasErrors ? "red" : "green" }, summaryLine(figures.errors, "none")),
    ),
    h(
      Text,
      { wrap: "wrap" },
      h(Text, { dimColor: true }, "backends "),
      summaryLine(
        figures.backends.map((b) => ({ label: b.backend, count: b.count })),
        "-",
      ),
    ),
  );
}
